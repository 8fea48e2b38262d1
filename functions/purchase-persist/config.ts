import { functionConfig } from "../shared/config.ts";

export const configSchema = functionConfig([
  "MONGODB_URI",
  "MONGODB_TIMEOUT_MS",
  "PERSIST_BATCH_SIZE",
  "PERSIST_BATCH_WAIT_MS",
  "PERSIST_MAX_PENDING",
]);
