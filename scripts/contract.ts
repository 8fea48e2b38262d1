// The contract check's Node half (npm run test:contract -> scripts/contract.sh -> here): starts the
// whole system on free ports with a topic, consumer group and database of its own, buys a few
// purchases so the read APIs have history to answer with, then runs Schemathesis against the public
// API (through the gateway) and the management API, each from its own /openapi.json, with every
// check, a fixed seed and a bounded number of examples. Exits non-zero when either run fails.
// Tokens are verified (a test issuer, harness/auth-fixture.ts): the public API is run with a
// shopper's token (EXAMPLE_USER's), the management API with the service client's (purchases:admin);
// with the documents' `bearerAuth` scheme Schemathesis also checks that a request without the token
// is refused (its `ignored_auth` check).

import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { testAuth } from "../harness/auth-fixture.ts";
import { freshDatabase } from "../harness/databases.ts";
import { isolatedPipeline } from "../harness/names.ts";
import { type System, startSystem } from "../harness/system.ts";

const ST = process.env.SCHEMATHESIS_BIN ?? "st";
const SEED = process.env.CONTRACT_SEED ?? "20251121";
const MAX_EXAMPLES = process.env.CONTRACT_MAX_EXAMPLES ?? "40";
/** The documents' example user id (UserIdSchema): the examples phase reads a real history. */
const EXAMPLE_USER = "alice";

const db = await freshDatabase("contract");
const auth = await testAuth();
// An hour, not the 5 minutes of a shopper's token: a run must not outlive its token.
const hour = () => Math.floor(Date.now() / 1000) + 3600;
const tokens = {
  public: await auth.issuer.sign({
    sub: EXAMPLE_USER,
    preferred_username: "Alice",
    scope: "openid purchases:read purchases:write",
    azp: "purchases-web",
    exp: hour(),
  }),
  management: await auth.issuer.sign({
    sub: "service-account-purchases-service",
    scope: "purchases:read purchases:admin",
    azp: "purchases-service",
    exp: hour(),
  }),
};
const env = {
  ...isolatedPipeline("contract").env,
  ...auth.env,
  KAFKA_SOURCE_INITIAL_OFFSET: "earliest",
  MONGODB_URI: db.uri,
};

let system: System | undefined;
let code = 0;
try {
  system = await startSystem({
    env,
    onLine: (name, line) => {
      if (/"level":"(warn|error)"/.test(line) || !line.startsWith("{")) console.log(`${name} | ${line}`);
    },
  });
  const apis = { public: system.url("gateway"), management: system.url("customer-management") };
  await seedHistory(apis.public, apis.management);
  for (const [name, base] of Object.entries(apis)) {
    console.log(`\n==> Schemathesis: ${name} API (${base}/openapi.json), with a bearer token`);
    const result = await run(ST, [
      "run",
      `${base}/openapi.json`,
      "--url",
      base,
      "--header",
      `Authorization: Bearer ${tokens[name as keyof typeof tokens]}`,
      "--checks",
      "all",
      "--seed",
      SEED,
      "--max-examples",
      MAX_EXAMPLES,
      "--generation-database",
      "none",
      "--report",
      "junit",
      "--report-junit-path",
      `test-results/contract/${name}.xml`,
      "--no-color",
    ]);
    if (result !== 0 && code === 0) code = result;
  }
} catch (err) {
  console.error(err);
  code = 1;
} finally {
  await system?.stop();
  await db.client
    .db()
    .dropDatabase()
    .catch(() => {});
  await db.client.close();
}
process.exit(code);

/** Three purchases for EXAMPLE_USER through the public API, waited for until stored. */
async function seedHistory(gateway: string, management: string) {
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${gateway}/buy`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${tokens.public}` },
      body: JSON.stringify({ username: "Alice", user_id: EXAMPLE_USER }),
    });
    if (res.status !== 202) throw new Error(`seeding: POST /buy answered ${res.status}: ${await res.text()}`);
  }
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${management}/api/purchases/${EXAMPLE_USER}`, {
      headers: { Authorization: `Bearer ${tokens.management}` },
    });
    if (res.ok && ((await res.json()) as { purchases: unknown[] }).purchases.length >= 3) return;
    await sleep(200);
  }
  throw new Error("seeding: the purchases were not stored within 20 s");
}

async function run(command: string, args: string[]) {
  const child = spawn(command, args, { stdio: "inherit" });
  const [exitCode] = await once(child, "exit");
  return (exitCode as number | null) ?? 1;
}
