// Every process's config parser, by the name the configuration table (docs/configuration.md) uses for it: each
// function's (functions/<name>/config.ts), the gateway's and the local dispatcher's.
import { join } from "node:path";
import type * as v from "valibot";
import { variablesOf } from "../../harness/config.ts";
import { GatewayConfigSchema } from "../../harness/gateway.ts";
import { listFunctions, ROOT } from "../../harness/root.ts";
import { DispatcherEnvSchema } from "../../kafka-source/dispatcher/manifest.ts";

type Schema = v.ObjectSchema<v.ObjectEntries, undefined>;

/** functions/<name>/config.ts's configSchema, for every function that has a server.ts. */
export async function functionConfigs(): Promise<Map<string, Schema>> {
  const configs = new Map<string, Schema>();
  for (const name of listFunctions()) {
    const module = (await import(join(ROOT, "functions", name, "config.ts"))) as { configSchema: Schema };
    configs.set(name, module.configSchema);
  }
  return configs;
}

/** Process name -> the variables its parser reads. */
export async function variablesByProcess(): Promise<Map<string, string[]>> {
  const all = new Map<string, string[]>();
  for (const [name, schema] of await functionConfigs()) all.set(name, variablesOf(schema));
  all.set("gateway", variablesOf(GatewayConfigSchema));
  all.set("dispatcher", variablesOf(DispatcherEnvSchema));
  return all;
}
