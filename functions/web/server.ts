// The web page's server: API_BASE_URL (where the page sends API calls), WEB_ROOT, AUTH_ISSUER and
// WEB_CLIENT_ID (where and as which client the page signs in) (./config.ts).
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runFunction } from "../shared/server.ts";
import { createApp, findWebRoot } from "./app.ts";
import { configSchema } from "./config.ts";
import { findVendorFiles } from "./vendor.ts";

const here = dirname(fileURLToPath(import.meta.url));

await runFunction("web", configSchema, async ({ config, logger, registry, ready }) => {
  const apiBaseUrl = config.API_BASE_URL;
  let webRoot: string;
  let vendorFiles: Record<string, string>;
  try {
    // Source: functions/web -> ../../web; a bundle: web/ next to index.mjs (or WEB_ROOT).
    webRoot = findWebRoot([config.WEB_ROOT, join(here, "web"), join(here, "../../web")]);
    // A bundle: vendor/ next to index.mjs; the sources: node_modules.
    vendorFiles = findVendorFiles(join(here, "vendor"));
  } catch (err) {
    process.stderr.write(`web: configuration error: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const signIn = { issuer: config.AUTH_ISSUER, clientId: config.WEB_CLIENT_ID };
  logger.info("serving the web page", { webRoot, apiBaseUrl: apiBaseUrl || "(same origin)", ...signIn });
  return { app: createApp({ logger, registry, ready, webRoot, apiBaseUrl, signIn, vendorFiles }) };
});
