import * as z from "zod";
import { ALL_SCOPES } from "./scopes";

export const CreateApiKeyBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(ALL_SCOPES as [string, ...string[]])).min(1).max(ALL_SCOPES.length),
  })
  .strict()
  .openapi("CreateApiKeyBody");
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
  })
  .openapi("ApiKey");
export type ApiKey = z.infer<typeof ApiKey>;

export const CreatedApiKey = ApiKey.extend({
  key: z.string().openapi({ description: "The secret key. Shown once; only its hash is stored." }),
}).openapi("CreatedApiKey");
