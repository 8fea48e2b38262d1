// Events HTTP cannot carry (issue 24, point 1): deliver() says so without an attempt, as a permanent
// failure, instead of http.request throwing. A local node:http server stands for the sink.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { deliver, type SinkOptions } from "./delivery.ts";
import { type KafkaRecord, toCloudEvent } from "./mapping.ts";

const source = { namespace: "purchases", name: "purchases-source" };
const record = (headers: Array<[string, string]>, value: string): KafkaRecord => ({
  topic: "purchases",
  partition: 1,
  offset: 5,
  value: Buffer.from(value),
  headers: headers.map(([k, v]) => [k, Buffer.from(v)]),
});
const structured = (doc: Record<string, unknown>) =>
  record(
    [["content-type", "application/cloudevents+json"]],
    JSON.stringify({ specversion: "1.0", id: "e-1", source: "/buy", type: "t", ...doc }),
  );
const binary = (extra: Array<[string, string]>) =>
  record(
    [["ce_specversion", "1.0"], ["ce_id", "e-2"], ["ce_source", "/buy"], ["ce_type", "t"], ...extra],
    "{}",
  );

describe("deliver: events HTTP cannot carry", () => {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume().on("end", () => res.writeHead(202).end());
  });
  let url = "";
  const opts = (over: Partial<SinkOptions> = {}): SinkOptions => ({
    url,
    retry: 3,
    backoffPolicy: "linear",
    backoffDelayMs: 0,
    timeoutMs: 5000,
    namespace: "ns",
    ...over,
  });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const cases: Array<[string, KafkaRecord, RegExp]> = [
    [
      "a structured CloudEvent whose datacontenttype holds a control character",
      structured({ datacontenttype: "application/json\u0001", data: { a: 1 } }),
      /"content-type".*ERR_INVALID_CHAR/,
    ],
    [
      "a binary-mode CloudEvent whose attribute name is no HTTP token",
      binary([["ce_bad name", "v"]]),
      /name "ce-bad name" is no HTTP token.*ERR_INVALID_HTTP_TOKEN/,
    ],
    [
      "a structured CloudEvent whose attribute name is no HTTP token",
      structured({ "a(b)": "v" }),
      /ERR_INVALID_HTTP_TOKEN/,
    ],
    [
      "a binary-mode CloudEvent whose content-type has a character beyond Latin-1",
      binary([["content-type", "text/plain; name=\u4e2d"]]),
      /"content-type".*ERR_INVALID_CHAR/,
    ],
    [
      "a plain record whose content-type holds a newline",
      record([["content-type", "application/json\r\nx-injected: 1"]], "{}"),
      /"content-type".*ERR_INVALID_CHAR/,
    ],
  ];
  for (const [what, rec, reason] of cases) {
    test(`When ${what} is delivered, then it fails at once, with the reason, and nothing is sent`, async () => {
      seen.length = 0;
      const outcome = await deliver(toCloudEvent(rec, source), opts(), new AbortController().signal);
      assert.equal(outcome.kind, "failed");
      assert.equal(outcome.attempts, 0);
      assert.match(outcome.kind === "failed" ? (outcome.failure.error ?? "") : "", reason);
      assert.equal(seen.length, 0);
    });
  }

  test("When such an event goes to a lenient (dead-letter) sink, then it arrives with the bad header dropped or percent-encoded", async () => {
    seen.length = 0;
    const event = toCloudEvent(
      record(
        [
          ["ce_specversion", "1.0"],
          ["ce_id", "e-3"],
          ["ce_source", "/buy"],
          ["ce_type", "t"],
          ["ce_bad name", "v"],
          ["content-type", "application/json\u0001"],
        ],
        "{}",
      ),
      source,
    );
    const outcome = await deliver(event, opts({ lenient: true }), new AbortController().signal);
    assert.equal(outcome.kind, "delivered");
    assert.equal(seen[0]?.["content-type"], "application/json%01");
    assert.equal(seen[0]?.["ce-id"], "e-3");
    assert.equal(seen[0]?.["ce-bad name"], undefined);
  });

  test("When a structured CloudEvent's data_base64 is no base64, then it is an invalid CloudEvent, wrapped with its value unchanged", () => {
    const rec = structured({ data_base64: "%%% no base64 %%%" });
    const event = toCloudEvent(rec, source);
    assert.equal(event.attributes.type, "dev.knative.kafka.event");
    assert.equal(event.attributes.id, "partition:1/offset:5");
    assert.deepEqual(event.data, rec.value);
  });

  test("When a plain record's timestamp is past what a Date holds, then it maps without a time", () => {
    const event = toCloudEvent({ ...record([], "x"), timestamp: 9e15 }, source);
    assert.equal(event.attributes.time, undefined);
  });
});
