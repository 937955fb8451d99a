/**
 * Every router is an OpenAPIHono with one shared validation hook, so the schemas that validate
 * are the schemas in /openapi.json, and every failure has one envelope.
 */
import { OpenAPIHono, type Hook } from "@hono/zod-openapi";
import { validationError } from "../lib/errors";
import type { AppEnv } from "./types";

export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (!result.success) throw validationError(result.error);
};

export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
