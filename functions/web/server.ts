// The web page's server: API_BASE_URL (where the page sends API calls) and WEB_ROOT (./config.ts).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runFunction } from "../shared/server.ts";
import { createApp, findWebRoot } from "./app.ts";
import { configSchema } from "./config.ts";

const here = dirname(fileURLToPath(import.meta.url));

await runFunction("web", configSchema, async ({ config, logger, registry, ready }) => {
  const apiBaseUrl = config.API_BASE_URL;
  let webRoot: string;
  try {
    // Source: functions/web -> ../../web; a bundle: web/ next to index.mjs (or WEB_ROOT).
    webRoot = findWebRoot([config.WEB_ROOT, join(here, "web"), join(here, "../../web")]);
  } catch (err) {
    process.stderr.write(`web: configuration error: ${(err as Error).message}\n`);
    process.exit(1);
  }
  logger.info("serving the web page", { webRoot, apiBaseUrl: apiBaseUrl || "(same origin)" });
  return { app: createApp({ logger, registry, ready, webRoot, apiBaseUrl }) };
});
