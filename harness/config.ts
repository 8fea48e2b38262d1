// The configuration as the tools see it (run command, tests, bench, scripts): every shared
// variable at once, and the names a schema reads. A function parses only its own variables
// (functions/<name>/config.ts), so these live here, not in functions/.
import type * as v from "valibot";
import { type EnvVars, parseEnv, SystemConfigSchema, type Variables } from "../functions/shared/config.ts";

/** The names a config schema reads, for the configuration table of the docs (test/docs). */
export const variablesOf = (schema: { entries: v.ObjectEntries }) => Object.keys(schema.entries);

/** Every shared variable, parsed. */
export const systemConfig = (env: EnvVars = process.env): Variables => parseEnv(SystemConfigSchema, env);
