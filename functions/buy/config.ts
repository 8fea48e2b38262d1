import { authFields } from "../shared/auth/index.ts";
import { functionConfig } from "../shared/config.ts";

export const configSchema = functionConfig(
  ["KAFKA_BOOTSTRAP_SERVERS", "KAFKA_TOPIC", "KAFKA_TIMEOUT_MS", "CORS_ORIGINS"],
  authFields,
);
