// The run command's Node half (npm start -> scripts/dev.sh -> here): starts every function, the
// local KafkaSource dispatcher and the gateway against the running local stack, prints where each
// listens, restarts any of them that dies (harness/supervisor.ts), with --monitoring starts a
// Prometheus that scrapes them (harness/prometheus.ts), and stops them all on Ctrl-C. The functions
// verify tokens of the local Keycloak (AUTH_ISSUER from STACK_KEYCLOAK_PORT, unless set).

import { localSenderEnv } from "../harness/auth-fixture.ts";
import { systemConfig } from "../harness/config.ts";
import { ensureLocalGins, localPostgres } from "../harness/ferretdb-index.ts";
import { localIssuer, SHOPPERS } from "../harness/keycloak.ts";
import { startLocalPrometheus } from "../harness/prometheus.ts";
import { formatEvent, supervise } from "../harness/supervisor.ts";
import { startSystem } from "../harness/system.ts";

const ports = {
  gateway: 8000,
  web: 8080,
  buy: 8101,
  items: 8102,
  "user-purchases": 8103,
  "customer-management": 8104,
  "purchase-persist": 8105,
  "kafka-source": 8106,
};
const width = Math.max(...Object.keys(ports).map((n) => n.length));
const started = Date.now();
console.log("starting functions, dispatcher and gateway...");
const system = await startSystem({
  ports: Object.fromEntries(
    Object.entries(ports).map(([k, v]) => [
      k,
      Number(process.env[`PORT_${k.toUpperCase().replace("-", "_")}`] ?? v),
    ]),
  ),
  env: {
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    AUTH_ISSUER: process.env.AUTH_ISSUER ?? localIssuer(),
    // Sender identity on, as the tests run it: the dispatcher sends a client-credentials token of
    // the local Keycloak's purchases-source client, standing in for the KafkaSource's service
    // account; SENDER_AUTH=off (or another issuer's SENDER_*) in the environment replaces it.
    ...(process.env.SENDER_AUTH ? {} : localSenderEnv(localIssuer())),
  },
  onLine: (name, line) => {
    // Show warnings and errors as they happen; info lines only with LOG_LEVEL=debug|info and VERBOSE=1.
    if (process.env.VERBOSE === "1" || /"level":"(warn|error)"/.test(line) || !line.startsWith("{")) {
      console.log(`${name.padEnd(width)} | ${line}`);
    }
  },
});
// FerretDB's own indexes cannot serve the history filter (docs/performance.md#why-targets-are-missed, "Read"); on the local
// stack's database a GIN index in PostgreSQL can. purchase-persist is ready, so the table exists.
// The same for the findOne({_id}) that settles each collided insert of a mass redelivery.
const { MONGODB_URI } = systemConfig({ ...process.env, LOG_LEVEL: "silent" });
const pg = localPostgres(MONGODB_URI);
if (pg) {
  try {
    const db = new URL(MONGODB_URI).pathname.slice(1) || "purchases";
    for (const gin of ensureLocalGins(pg, db))
      if (gin.created) console.log(`local store: created the GIN index ${gin.index} in PostgreSQL`);
  } catch (err) {
    console.log(
      `local store: no GIN indexes (${(err as Error).message}); history reads and redeliveries scan the collection`,
    );
  }
}
const prometheus = process.argv.includes("--monitoring")
  ? await startLocalPrometheus(system.components.values())
  : undefined;
const gateway = system.url("gateway").replace("127.0.0.1", "localhost");
console.log(`\nall up in ${((Date.now() - started) / 1000).toFixed(1)}s:`);
for (const c of system.components.values()) console.log(`  ${c.name.padEnd(width)}  ${c.url}`);
const open = process.env.AUTH_MODE === "off";
const shoppers = Object.entries(SHOPPERS)
  .map(([name, s]) => `${name} / ${s.password}`)
  .join(", ");
console.log(`
  public API (gateway)   ${gateway}   e.g. curl -X POST ${gateway}/buy -H "Authorization: Bearer $(npm run -s token -- alice)" -H 'Content-Type: application/json' -d '{}'
                         curl ${gateway}/getAllUserBuys/me -H "Authorization: Bearer $(npm run -s token -- alice)"
  web page               ${system.url("web").replace("127.0.0.1", "localhost")}
  management API         ${system.url("customer-management")}/purchases/<user_id>   (a shopper's own, or npm run -s token -- --service)
  identity provider      ${process.env.AUTH_ISSUER ?? localIssuer()}${open ? "   AUTH_MODE=off: tokens are NOT verified (demo only)" : ""}
  test shoppers          ${shoppers}; a token for curl: npm run -s token -- alice
  prometheus             ${prometheus?.url ?? "(npm start -- --monitoring starts it)"}
Ctrl-C stops everything. A component that dies is restarted on its port (back-off 1s doubling to 5min).`);

const supervisor = supervise(system, { onEvent: (e) => console.log(formatEvent(e)) });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping...");
  await supervisor.stop();
  await prometheus?.stop();
  await system.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
