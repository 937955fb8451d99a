import { existsSync, readFileSync } from "node:fs";

/** Reads KEY="value" lines from .dev.vars (the file wrangler dev reads for local secrets). */
export function readDevVars(path = ".dev.vars") {
  if (!existsSync(path)) return {};
  const vars = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}
