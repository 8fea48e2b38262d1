import * as v from "valibot";
import { functionConfig } from "../shared/config.ts";
import { senderFields, senderRequirements } from "./sender.ts";

const fields = functionConfig(
  ["MONGODB_URI", "MONGODB_TIMEOUT_MS", "PERSIST_BATCH_SIZE", "PERSIST_BATCH_WAIT_MS", "PERSIST_MAX_PENDING"],
  senderFields,
);

export const configSchema = v.pipe(fields, senderRequirements<v.InferOutput<typeof fields>>());
