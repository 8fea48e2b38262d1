// PostgreSQL behind a FerretDB of this file's own (harness/private-stack.ts) stopped, then hung
// (SIGSTOP), while the management API, user-purchases (which calls it) and purchase-persist answer.
// Every store call is a 503 database_unavailable with Retry-After, never a 500 or a 502, and /health
// answers within its bound saying the store is unreachable (issue 24, points 4 and 5). Durations are
// checked only against a second, independent deadline far above the bound: the machine is shared.
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import { createApp as createManagementApp } from "../../functions/customer-management/app.ts";
import { createLogger } from "../../functions/shared/logging.ts";
import { createRegistry } from "../../functions/shared/metrics.ts";
import { ping } from "../../functions/shared/mongo.ts";
import { createApp as createUserPurchasesApp } from "../../functions/user-purchases/app.ts";
import { authFor, type TestAuth, testAuth } from "../../harness/auth-fixture.ts";
import { unique } from "../../harness/names.ts";
import { persistFixture, purchase } from "../../harness/persist-fixture.ts";
import { hangPostgres, startPostgres, stopPostgres } from "../../harness/postgres-faults.ts";
import { usePrivateStack } from "../../harness/private-stack.ts";
import { waitFor } from "../../harness/wait.ts";

await usePrivateStack("store-outage", ["mongo"]);

/** MONGODB_TIMEOUT_MS of these apps (persistFixture's), so the health probe's bound is 1.5 s. */
const STORE_TIMEOUT_MS = 1500;
const HEALTH_BOUND_MS = Math.min(STORE_TIMEOUT_MS, 2000);
/** The independent deadline: three times the bound. */
const DEADLINE_MS = 3 * HEALTH_BOUND_MS;

let fx: Awaited<ReturnType<typeof persistFixture>>;
let management: ReturnType<typeof createManagementApp>;
let userPurchases: ReturnType<typeof createUserPurchasesApp>;
let server: Server;
const user = unique("outage");
let offset = 0;
let auth: TestAuth;
/** The service token (admin) for the management API, the shopper's own for user-purchases. */
let service: Record<string, string>;
let shopper: Record<string, string>;

before(async () => {
  auth = await testAuth();
  service = { Authorization: `Bearer ${await auth.serviceToken()}` };
  shopper = await auth.headers(user);
  fx = await persistFixture("outage");
  management = createManagementApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "customer-management", defaultMetrics: false }),
    client: fx.client,
    collection: fx.collection,
    timeoutMs: STORE_TIMEOUT_MS,
    groupState: async () => undefined,
    auth: authFor(auth.env),
  });
  server = serve({ fetch: management.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
  await new Promise((r) => server.once("listening", r));
  userPurchases = createUserPurchasesApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "user-purchases", defaultMetrics: false }),
    managementUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    // The default: longer than the management API's store bound.
    timeoutMs: 5000,
    auth: authFor(auth.env),
  });
  assert.equal(
    (await fx.post({ "ce-id": `partition:0/offset:${offset++}` }, purchase({ user_id: user }))).status,
    200,
  );
});

after(async () => {
  server?.close();
  await fx?.client.db().dropDatabase();
  await fx?.close();
});

/** `answer` if it settles before `ms`, else a failed assertion naming `what`. */
async function within<T>(what: string, answer: T | Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((r) => {
    timer = setTimeout(() => r("late"), ms);
  });
  const first = await Promise.race([Promise.resolve(answer), late]).finally(() => clearTimeout(timer));
  assert.notEqual(first, "late", `${what}: no answer within ${ms} ms`);
  return first as T;
}

async function assertUnavailable(what: string, res: Response) {
  assert.equal(res.status, 503, `${what}: status`);
  assert.equal(res.headers.get("retry-after"), "1", `${what}: Retry-After`);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.error, "database_unavailable", `${what}: ${JSON.stringify(body)}`);
  assert.equal(typeof body.message, "string");
  assert.ok(!JSON.stringify(body).includes("    at "), `${what}: no stack trace`);
}

async function assertUnhealthy(what: string, res: Response) {
  assert.equal(res.status, 503, `${what}: status`);
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.status, "unhealthy", `${what}: ${JSON.stringify(body)}`);
  assert.equal(body.mongodb, "unreachable", `${what}: ${JSON.stringify(body)}`);
}

/** What every function answers with the store out, `writeDeadlineMs` for a write to give up. */
async function checkEveryFunction(writeDeadlineMs: number) {
  // /health first: the probes' caches hold nothing from before the outage.
  const [mgmtHealth, persistHealth] = await Promise.all([
    within("management /health", management.request("/health"), DEADLINE_MS),
    within("persist /health", fx.app.request("/health"), DEADLINE_MS),
  ]);
  await assertUnhealthy("management /health", mgmtHealth);
  await assertUnhealthy("persist /health", persistHealth);
  const reads = {
    "management /purchases/:user_id": management.request(`/purchases/${user}`, { headers: service }),
    "management /api/purchases/:userId": management.request(`/api/purchases/${user}`, { headers: service }),
    "management /api/purchases": management.request("/api/purchases", { headers: service }),
    "user-purchases /getAllUserBuys/:user_id": userPurchases.request(`/getAllUserBuys/${user}`, {
      headers: shopper,
    }),
  };
  for (const [what, res] of Object.entries(reads))
    await assertUnavailable(what, await within(what, res, DEADLINE_MS));
  const write = fx.post({ "ce-id": `partition:0/offset:${offset++}` }, purchase({ user_id: user }));
  await assertUnavailable("persist POST /", await within("persist POST /", write, writeDeadlineMs));
}

/** The store is back: the same read answers 200 again (within the reconnect's time). */
async function waitRecovered() {
  await waitFor("the store to answer again", () => ping(fx.client, 1000), { timeoutMs: 60_000 });
  await waitFor(
    "a history read to succeed",
    async () => (await management.request(`/purchases/${user}`, { headers: service })).ok,
    {
      timeoutMs: 30_000,
    },
  );
  // Past the health probes' cache (1 s), so that the next case sees its own outage.
  await new Promise((r) => setTimeout(r, 1100));
}

describe("store outages: PostgreSQL behind FerretDB", () => {
  test("When PostgreSQL is stopped, then every function answers 503 with Retry-After and /health says unreachable in time", async () => {
    await stopPostgres();
    try {
      await checkEveryFunction(DEADLINE_MS);
    } finally {
      await startPostgres();
    }
    await waitRecovered();
  });

  test("When PostgreSQL hangs (SIGSTOP), then every function answers 503 with Retry-After and /health says unreachable in time", async () => {
    const resume = hangPostgres();
    try {
      // A write waits for the socket timeout (4 x MONGODB_TIMEOUT_MS): its outcome is unknown
      // before, and a retried write is harmless (idempotent).
      await checkEveryFunction(3 * 4 * STORE_TIMEOUT_MS);
    } finally {
      resume();
    }
    await waitRecovered();
  });
});
