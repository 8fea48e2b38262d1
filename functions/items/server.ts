import { runFunction } from "../shared/server.ts";
import { createApp } from "./app.ts";

await runFunction("items", async ({ config, logger, registry, ready }) => ({
  app: createApp({ logger, registry, ready, corsOrigins: config.CORS_ORIGINS }),
}));
