import { runFunction } from "../shared/server.ts";
import { createApp } from "./app.ts";
import { configSchema } from "./config.ts";

await runFunction("items", configSchema, async ({ config, logger, registry, ready }) => ({
  app: createApp({ logger, registry, ready, corsOrigins: config.CORS_ORIGINS }),
}));
