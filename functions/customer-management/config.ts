import { authFields } from "../shared/auth/index.ts";
import { functionConfig } from "../shared/config.ts";

// The database for history reads; Kafka only for /health and the lag gauge; the AUTH_* variables
// for the tokens its routes verify.
export const configSchema = functionConfig(
  [
    "MONGODB_URI",
    "MONGODB_TIMEOUT_MS",
    "KAFKA_BOOTSTRAP_SERVERS",
    "KAFKA_TOPIC",
    "KAFKA_GROUP_ID",
    "KAFKA_TIMEOUT_MS",
  ],
  authFields,
);
