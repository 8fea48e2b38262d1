// Where the repository is, and which functions it holds: the harness, the bundler and the bench all
// start from these.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Every function: a folder of functions/ with a server.ts (functions/shared is code, not one). */
export function listFunctions(root = ROOT): string[] {
  return readdirSync(join(root, "functions"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "shared")
    .filter((d) => existsSync(join(root, "functions", d.name, "server.ts")))
    .map((d) => d.name)
    .sort();
}
