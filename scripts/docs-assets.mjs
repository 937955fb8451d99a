#!/usr/bin/env node
/**
 * Copies Swagger UI's browser files from the swagger-ui-dist package into public/docs/vendor/,
 * where Workers static assets serve them (wrangler.toml `[assets]`), so GET /docs needs no CDN and
 * the files never enter the Worker bundle. wrangler runs this as its `[build]` command before
 * `wrangler dev`, `wrangler deploy` and the bundle check; it does nothing when the copy is current.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules/swagger-ui-dist");
const target = join(root, "public/docs/vendor");
const FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"];

const { version } = JSON.parse(readFileSync(join(source, "package.json"), "utf8"));
const stamp = `swagger-ui-dist ${version}: ${FILES.join(" ")}\n`;
const stampFile = join(target, "VERSION");
if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp && FILES.every((f) => existsSync(join(target, f)))) process.exit(0);

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const file of FILES) copyFileSync(join(source, file), join(target, file));
writeFileSync(stampFile, stamp);
console.log(`[docs] copied Swagger UI ${version} into public/docs/vendor/`);
