// Bad input at purchase-persist against the real local store: impossible dates,
// repeated CloudEvent attribute headers and structured events with both data and data_base64.
import assert from "node:assert/strict";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { serve } from "@hono/node-server";
import { unique } from "../../test/helpers.ts";
import { KAFKA_SOURCE, persistFixture, purchase } from "../../test/persist-fixture.ts";

let fx: Awaited<ReturnType<typeof persistFixture>>;
let server: ReturnType<typeof serve>;
let port: number;
before(async () => {
  fx = await persistFixture("persist-input");
  server = serve({ fetch: fx.app.fetch, port: 0 });
  await new Promise((r) => server.once("listening", r));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  await new Promise((r) => server.close(r));
  await fx.close();
});

/** POSTs over real HTTP with a raw header list, so that a header can be sent twice. */
function postRaw(headers: [string, string][], body: string) {
  return new Promise<{ status: number; body: { error?: string; message?: string } }>((resolve, reject) => {
    // A raw header list is sent as is: Node adds no Host (which its server requires) nor length.
    const raw = [
      ["host", `127.0.0.1:${port}`],
      ["content-length", String(Buffer.byteLength(body))],
      ...headers,
    ];
    const req = request({ port, method: "POST", path: "/", headers: raw.flat() }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const envelope = (id: string): [string, string][] => [
  ["ce-specversion", "1.0"],
  ["ce-id", id],
  ["ce-source", KAFKA_SOURCE],
  ["ce-type", "dev.knative.kafka.event"],
  ["content-type", "application/json"],
];

describe("purchase-persist: impossible dates", () => {
  const refused: [string, Record<string, string>, Record<string, unknown>, string][] = [
    ["timestamp 2026-02-30", {}, { timestamp: "2026-02-30T00:00:00Z" }, "invalid_data"],
    ["timestamp 2026-02-29 (not a leap year)", {}, { timestamp: "2026-02-29T10:00:00Z" }, "invalid_data"],
    ["timestamp 2100-02-29 (not a leap year)", {}, { timestamp: "2100-02-29T10:00:00Z" }, "invalid_data"],
    ["timestamp 2026-04-31", {}, { timestamp: "2026-04-31T10:00:00+02:00" }, "invalid_data"],
    ["ce-time 2026-02-30", { "ce-time": "2026-02-30T00:00:00Z" }, {}, "invalid_event"],
    ["ce-time 2026-06-31", { "ce-time": "2026-06-31T00:00:00.000Z" }, {}, "invalid_event"],
  ];
  for (const [name, headers, data, error] of refused) {
    test(`When the event has ${name}, then 400 ${error} and nothing is stored`, async () => {
      const user = unique("date");
      const res = await fx.post({ "ce-id": unique("d"), ...headers }, purchase({ user_id: user, ...data }));
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.error, error);
      assert.match(body.message, /calendar/);
      assert.equal(await fx.collection.countDocuments({ user_id: user }), 0);
    });
  }

  test("When the timestamp is a leap day (2028-02-29, 2000-02-29), then it is stored as that day", async () => {
    for (const timestamp of ["2028-02-29T23:59:59.999Z", "2000-02-29T00:00:00Z"]) {
      const user = unique("leap");
      const res = await fx.post(
        { "ce-id": unique("l"), "ce-time": timestamp },
        purchase({ user_id: user, timestamp }),
      );
      assert.equal(res.status, 200);
      const doc = await fx.collection.findOne({ user_id: user });
      assert.equal(doc?.timestamp.getTime(), Date.parse(timestamp));
    }
  });
});

describe("purchase-persist: malformed envelopes", () => {
  for (const header of [
    "ce-id",
    "ce-source",
    "ce-type",
    "ce-specversion",
    "ce-time",
    "ce-partitionkey",
    "content-type",
  ]) {
    test(`When ${header} is sent twice, then 400 invalid_event naming it, and nothing is stored`, async () => {
      const user = unique("twice");
      const headers = envelope(unique("t"));
      const value = header === "ce-time" ? "2026-11-21T10:00:00Z" : "user-1";
      const sent = headers.find(([k]) => k === header)?.[1];
      // The same value twice, spelled in another case the second time: still the same header.
      const twice: [string, string][] = sent
        ? [[header.toUpperCase(), sent]]
        : [
            [header, value],
            [header.toUpperCase(), value],
          ];
      const res = await postRaw([...headers, ...twice], JSON.stringify(purchase({ user_id: user })));
      assert.equal(res.status, 400);
      assert.equal(res.body.error, "invalid_event");
      assert.match(res.body.message ?? "", new RegExp(`${header} sent more than once`));
      assert.equal(await fx.collection.countDocuments({ user_id: user }), 0);
    });
  }

  test('When two ce-id headers arrive (a, b), then 400, not an event with the id "a, b"', async () => {
    const user = unique("ab");
    const res = await postRaw(
      [...envelope("a"), ["ce-id", "b"]],
      JSON.stringify(purchase({ user_id: user })),
    );
    assert.equal(res.status, 400);
    assert.equal(await fx.collection.countDocuments({ event_id: "a, b" }), 0);
  });

  test("When the same request has each header once, then it is stored (over real HTTP)", async () => {
    const user = unique("once");
    const res = await postRaw(envelope(unique("o")), JSON.stringify(purchase({ user_id: user })));
    assert.equal(res.status, 200);
    assert.equal(await fx.collection.countDocuments({ user_id: user }), 1);
  });

  test("When a structured event has both data and data_base64, then 400 invalid_event and nothing is stored", async () => {
    const user = unique("both");
    const data = purchase({ user_id: user });
    const res = await fx.app.request("/", {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      body: JSON.stringify({
        specversion: "1.0",
        id: unique("s"),
        source: "/structured",
        type: "t",
        datacontenttype: "application/json",
        data,
        data_base64: Buffer.from(JSON.stringify({ ...data, item_name: "Desk" })).toString("base64"),
      }),
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error, "invalid_event");
    assert.match(body.message, /both data and data_base64/);
    assert.equal(await fx.collection.countDocuments({ user_id: user }), 0);
  });
});
