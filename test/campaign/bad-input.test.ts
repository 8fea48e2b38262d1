// Bad-input campaign: at least 200 generated malformed requests across every HTTP
// endpoint of the running system, and malformed CloudEvents at purchase-persist. Each must be a JSON
// 4xx ({error, message}, never a 5xx), and neither the database nor the purchases topic may change.
// Tokens are verified (a test issuer, harness/auth-fixture.ts): a case on a protected route carries a
// valid token unless it is about the token (./auth-cases.ts), so that the input is what is refused.

import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createGroupReader, type GroupReader } from "../../functions/customer-management/lag.ts";
import { ERROR_CATALOG, type ErrorCode } from "../../functions/shared/errors.ts";
import { createAdmin, createKafka } from "../../functions/shared/kafka.ts";
import { testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { isolatedPipeline, unique } from "../../harness/names.ts";
import { testConfig } from "../../harness/stack.ts";
import { type System, startSystem } from "../../harness/system.ts";
import { waitFor } from "../../harness/wait.ts";
import { authCases } from "./auth-cases.ts";
import { buyCases } from "./buy-cases.ts";
import { type Case, seeded } from "./cases.ts";
import { eventCases, heldEvents } from "./event-cases.ts";
import { historyCases, methodCases } from "./route-cases.ts";
import { type DatabaseState, databaseState, topicRecords } from "./state.ts";

const SEED = Number(process.env.BAD_INPUT_SEED ?? 20261121);
const rng = seeded(SEED);
const runId = unique("bad");
const auth = await testAuth();
const cases = [
  ...buyCases(rng),
  ...historyCases(rng),
  ...methodCases(),
  ...eventCases(rng, runId),
  ...(await authCases(auth)),
];
// The token a case gets unless it says otherwise, signed for each request (the campaign outlasts a
// token's 5 minutes): the service's (purchases:admin) for the management API, mallory's for the
// public API; the KafkaSource's sender token for purchase-persist (sender identity on, as in every
// test: a well-formed token does not make a malformed event acceptable); none for items.
const tokenFor: Partial<Record<Case["target"], () => Promise<Record<string, string>>>> = {
  gateway: () => auth.headers("mallory"),
  buy: () => auth.headers("mallory"),
  "user-purchases": () => auth.headers("mallory"),
  "customer-management": async () => ({ Authorization: `Bearer ${await auth.serviceToken()}` }),
  "purchase-persist": async () => ({ Authorization: `Bearer ${await auth.senderToken()}` }),
};
const withToken = async (c: Case): Promise<Case> => {
  const token = c.auth === false ? undefined : await tokenFor[c.target]?.();
  if (!token) return c;
  if (c.rawHeaders) return { ...c, rawHeaders: [...c.rawHeaders, ...Object.entries(token)] };
  return { ...c, headers: { ...token, ...c.headers } };
};
const byEndpoint = new Map<string, Case[]>();
for (const c of cases) byEndpoint.set(c.endpoint, [...(byEndpoint.get(c.endpoint) ?? []), c]);

let system: System;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let admin: ReturnType<typeof createAdmin>;
let lag: GroupReader;
const pipeline = isolatedPipeline("bad-purchases");
const { topic, dlq, group } = pipeline;
let initial: { db: DatabaseState; records: number };

before(async () => {
  db = await freshDatabase("bad-input");
  system = await startSystem({
    env: {
      ...pipeline.env,
      ...auth.env,
      MONGODB_URI: db.uri,
      LOG_LEVEL: "info",
    },
  });
  const kafka = createKafka(testConfig(), unique("bad-input"));
  admin = createAdmin(kafka);
  await admin.connect();
  lag = createGroupReader(kafka, group);
  await lag.connect();
  // A few real purchases first, so there is something a lax reader could leak or change.
  for (const user of ["mallory", "alice", "bob"]) {
    const res = await fetch(`${system.url("gateway")}/buy`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(await auth.headers(user)) },
      body: JSON.stringify({ username: user, user_id: user }),
    });
    assert.equal(res.status, 202, await res.text());
  }
  // And two stored straight at purchase-persist, whose identities the collision cases reuse.
  const held = heldEvents(runId);
  for (const headers of [held.own, held.wrapped]) {
    const res = await fetch(`${system.url("purchase-persist")}/`, {
      method: "POST",
      headers: { ...headers, ...(await tokenFor["purchase-persist"]?.()) },
      body: JSON.stringify(held.data),
    });
    assert.equal(res.status, 200, await res.text());
  }
  await waitFor("the seed purchases stored", async () => (await db.collection.countDocuments({})) === 5);
  initial = { db: await databaseState(db.collection), records: await topicRecords(admin, topic) };
  expected = initial;
});

after(async () => {
  await system?.stop();
  await admin?.deleteTopics({ topics: [topic, dlq], timeout: 10_000 }).catch(() => {});
  await admin?.disconnect();
  await lag?.disconnect();
  await db?.client
    .db()
    .dropDatabase()
    .catch(() => {});
  await db?.client.close();
});

let expected: { db: DatabaseState; records: number };

/** What the last request changed, if anything; each case is then judged against the new state. */
async function stateChange() {
  const records = await topicRecords(admin, topic);
  if (records !== expected.records) {
    // Let the pipeline store what was produced, so that it is not blamed on the next case.
    await waitFor("no consumer lag", async () => (await lag.read(topic, 2000))?.lag === 0);
    await sleep(300);
  }
  const state = await databaseState(db.collection);
  const change =
    records !== expected.records
      ? `${records - expected.records} record(s) produced`
      : state.hash !== expected.db.hash
        ? `the database changed (${state.count - expected.db.count} documents)`
        : undefined;
  expected = { db: state, records: await topicRecords(admin, topic) };
  return change;
}

/** A request with a raw header list (a name possibly twice), over node:http as it is. */
function sendRaw(c: Case & { rawHeaders: [string, string][] }) {
  const url = new URL(`${system.url(c.target)}${c.path}`);
  const body = c.body ?? new Uint8Array();
  const headers = [["host", url.host], ["content-length", String(body.byteLength)], ...c.rawHeaders];
  return new Promise<{ res: { status: number; headers: Headers }; text: string }>((resolve, reject) => {
    const req = request(url, { method: c.method, headers: headers.flat(), timeout: 10_000 }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => {
        const h = new Headers({ "content-type": String(res.headers["content-type"] ?? "") });
        resolve({ res: { status: res.statusCode ?? 0, headers: h }, text });
      });
    });
    req.on("error", reject).on("timeout", () => req.destroy(new Error("timed out")));
    req.end(body);
  });
}

async function send(plain: Case) {
  const c = await withToken(plain);
  if (c.rawHeaders) return sendRaw({ ...c, rawHeaders: c.rawHeaders });
  const res = await fetch(`${system.url(c.target)}${c.path}`, {
    method: c.method,
    ...(c.headers ? { headers: c.headers } : {}),
    ...(c.body ? { body: new Uint8Array(c.body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  return { res, text: await res.text() };
}

describe(`bad-input campaign (seed ${SEED})`, () => {
  test(`When the cases are generated, then there are at least 200 across ${byEndpoint.size} endpoints`, (t) => {
    assert.ok(cases.length >= 200, `${cases.length} cases`);
    for (const [endpoint, list] of byEndpoint) t.diagnostic(`${endpoint}: ${list.length}`);
    t.diagnostic(`total: ${cases.length}`);
  });

  for (const [endpoint, list] of byEndpoint) {
    test(`${endpoint}: when any of ${list.length} malformed requests is sent, then a JSON 4xx and nothing changes`, async (t) => {
      for (const c of list) {
        await t.test(c.name, async () => {
          const { res, text } = await send(c);
          const shown = `${c.method} ${c.path.slice(0, 80)} -> ${res.status} ${text.slice(0, 200)}`;
          const changed = await stateChange();
          assert.ok(res.status >= 400 && res.status < 500, shown);
          assert.match(res.headers.get("content-type") ?? "", /^application\/json/, shown);
          const body = JSON.parse(text);
          assert.equal(typeof body.error, "string", shown);
          assert.equal(typeof body.message, "string", shown);
          if (c.error) assert.equal(body.error, c.error, shown);
          assert.equal(
            ERROR_CATALOG[body.error as ErrorCode]?.status,
            res.status,
            `not the catalog's: ${shown}`,
          );
          assert.equal(changed, undefined, `${changed}: ${shown}`);
        });
      }
    });
  }

  test("When the pipeline has settled, then the database, the topic and the dead-letter topic are as before", async () => {
    await waitFor("no consumer lag", async () => (await lag.read(topic, 2000))?.lag === 0);
    await sleep(500);
    assert.deepEqual(await databaseState(db.collection), initial.db);
    assert.equal(await topicRecords(admin, topic), initial.records);
    assert.equal(await topicRecords(admin, dlq), 0);
  });
});
