import { authFields } from "../shared/auth/index.ts";
import { functionConfig } from "../shared/config.ts";

export const configSchema = functionConfig(
  ["CORS_ORIGINS", "CUSTOMER_MANAGEMENT_API_URL", "UPSTREAM_TIMEOUT_MS"],
  authFields,
);
