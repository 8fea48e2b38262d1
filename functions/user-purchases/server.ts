import { runFunction } from "../shared/server.ts";
import { createApp } from "./app.ts";
import { configSchema } from "./config.ts";

await runFunction("user-purchases", configSchema, async ({ config, logger, registry, ready }) => ({
  app: createApp({
    logger,
    registry,
    ready,
    corsOrigins: config.CORS_ORIGINS,
    managementUrl: config.CUSTOMER_MANAGEMENT_API_URL,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
  }),
}));
