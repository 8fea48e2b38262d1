import { functionConfig } from "../shared/config.ts";

export const configSchema = functionConfig(["CORS_ORIGINS"]);
