import { createAuth } from "../shared/auth/index.ts";
import { runFunction } from "../shared/server.ts";
import { createApp } from "./app.ts";
import { configSchema } from "./config.ts";

await runFunction("user-purchases", configSchema, async ({ config, logger, registry, ready }) => {
  // The issuer's keys are fetched now, not at the first read; readiness does not wait for them.
  const auth = createAuth(config, { logger });
  void auth.warm();
  return {
    app: createApp({
      logger,
      registry,
      ready,
      auth,
      corsOrigins: config.CORS_ORIGINS,
      managementUrl: config.CUSTOMER_MANAGEMENT_API_URL,
      timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    }),
  };
});
