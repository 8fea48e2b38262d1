// The web page's server. API_BASE_URL (where the page sends API calls; empty = same origin, as
// behind the cluster ingress) and WEB_ROOT are read here, the one place that knows about them.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runFunction } from "../shared/server.ts";
import { createApp, findWebRoot, parseApiBaseUrl } from "./app.ts";

const here = dirname(fileURLToPath(import.meta.url));

await runFunction("web", async ({ logger, registry, ready }) => {
  let apiBaseUrl: string;
  let webRoot: string;
  try {
    apiBaseUrl = parseApiBaseUrl(process.env.API_BASE_URL);
    // Source: functions/web -> ../../web; a bundle: web/ next to index.mjs (or WEB_ROOT).
    webRoot = findWebRoot([process.env.WEB_ROOT, join(here, "web"), join(here, "../../web")]);
  } catch (err) {
    process.stderr.write(`web: configuration error: ${(err as Error).message}\n`);
    process.exit(1);
  }
  logger.info("serving the web page", { webRoot, apiBaseUrl: apiBaseUrl || "(same origin)" });
  return { app: createApp({ logger, registry, ready, webRoot, apiBaseUrl }) };
});
