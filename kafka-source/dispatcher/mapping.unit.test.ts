import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toHttpBinary } from "./binding.ts";
import { headerExtensionName, type KafkaRecord, toCloudEvent } from "./mapping.ts";

const source = { namespace: "purchases", name: "purchases-source" };
const record = (over: Partial<KafkaRecord> = {}): KafkaRecord => ({
  topic: "purchases",
  partition: 2,
  offset: 41,
  timestamp: Date.UTC(2025, 0, 2, 3, 4, 5, 6),
  key: Buffer.from("user-7"),
  value: Buffer.from('{"item":"book"}'),
  headers: [],
  ...over,
});

describe("mapping: Kafka record -> CloudEvent", () => {
  test("When a plain JSON record arrives, then it gets the KafkaSource id, source, type, subject, time and key", () => {
    const ev = toCloudEvent(
      record({
        headers: [
          ["Content-Type", Buffer.from("Application/JSON")],
          ["trace-id", Buffer.from("abc")],
        ],
      }),
      source,
    );
    assert.deepEqual(ev.attributes, {
      specversion: "1.0",
      id: "partition:2/offset:41",
      source: "/apis/v1/namespaces/purchases/kafkasources/purchases-source#purchases",
      type: "dev.knative.kafka.event",
      subject: "partition:2#41",
      time: "2025-01-02T03:04:05.006Z",
      key: "user-7",
      partitionkey: "user-7",
      datacontenttype: "application/json",
      kafkaheadertraceid: "abc",
      knativekafkapartition: 2,
      knativekafkaoffset: 41,
    });
    assert.equal(ev.data?.toString(), '{"item":"book"}');
  });

  test("When a plain record has no key, headers or value, then no key extensions and no data", () => {
    const ev = toCloudEvent(record({ key: undefined, value: null }), source);
    assert.equal(ev.attributes.key, undefined);
    assert.equal(ev.attributes.partitionkey, undefined);
    assert.equal(ev.attributes.datacontenttype, undefined);
    assert.equal(ev.data, undefined);
  });

  test("When header names have upper case and punctuation, then the extension name keeps only [a-z0-9]", () => {
    assert.equal(headerExtensionName("X-Request_ID.v2"), "xrequestidv2");
    const ev = toCloudEvent(record({ headers: [["My Header!", Buffer.from("v")]] }), source);
    assert.equal(ev.attributes.kafkaheadermyheader, "v");
  });

  test("When a record is a binary-mode CloudEvent, then it keeps its own attributes and raw data", () => {
    const headers: Array<[string, Buffer]> = [
      ["ce_specversion", Buffer.from("1.0")],
      ["ce_id", Buffer.from("evt-1")],
      ["ce_source", Buffer.from("/buy")],
      ["ce_type", Buffer.from("purchase.created")],
      ["ce_traceparent", Buffer.from("00-abc")],
      ["content-type", Buffer.from("application/json")],
      ["other", Buffer.from("ignored")],
    ];
    const ev = toCloudEvent(record({ headers, value: Buffer.from('{ "raw" : 1 }') }), source);
    assert.deepEqual(ev.attributes, {
      specversion: "1.0",
      id: "evt-1",
      source: "/buy",
      type: "purchase.created",
      traceparent: "00-abc",
      datacontenttype: "application/json",
      knativekafkapartition: 2,
      knativekafkaoffset: 41,
    });
    assert.equal(ev.data?.toString(), '{ "raw" : 1 }', "data bytes pass through untouched");
  });

  test("When a record is a structured-mode CloudEvent, then its attributes are kept and data becomes bytes", () => {
    const doc = { specversion: "1.0", id: "s-1", source: "/x", type: "t", subject: "sub", data: { a: 1 } };
    const headers: Array<[string, Buffer]> = [["content-type", Buffer.from("application/cloudevents+json")]];
    const ev = toCloudEvent(record({ headers, value: Buffer.from(JSON.stringify(doc)) }), source);
    assert.equal(ev.attributes.id, "s-1");
    assert.equal(ev.attributes.subject, "sub");
    assert.equal(ev.attributes.datacontenttype, "application/json");
    assert.equal(ev.attributes.knativekafkaoffset, 41);
    assert.equal(ev.data?.toString(), '{"a":1}');

    const b64 = { ...doc, data: undefined, data_base64: Buffer.from([1, 2, 3]).toString("base64") };
    const bin = toCloudEvent(record({ headers, value: Buffer.from(JSON.stringify(b64)) }), source);
    assert.deepEqual([...(bin.data ?? [])], [1, 2, 3]);
  });

  test("When a record claims to be a CloudEvent but lacks an id, then it is wrapped like a plain record", () => {
    const headers: Array<[string, Buffer]> = [
      ["ce_specversion", Buffer.from("1.0")],
      ["ce_source", Buffer.from("/x")],
      ["ce_type", Buffer.from("t")],
    ];
    const ev = toCloudEvent(record({ headers }), source);
    assert.equal(ev.attributes.id, "partition:2/offset:41");
    assert.equal(ev.attributes.kafkaheadercespecversion, "1.0");
  });

  test("When a binary-mode CloudEvent cannot be sent (bad time, bad data_base64, schemaurl on 1.0, dataschema on 0.3), then it is wrapped like a plain record and its wrapping can be sent", () => {
    const ce = (extra: Array<[string, string]>) =>
      [
        ["ce_specversion", Buffer.from(extra.some(([n]) => n === "ce_dataschema") ? "0.3" : "1.0")],
        ["ce_id", Buffer.from("e-1")],
        ["ce_source", Buffer.from("/buy")],
        ["ce_type", Buffer.from("t")],
        ...extra.map(([n, v]) => [n, Buffer.from(v)] as [string, Buffer]),
      ] as Array<[string, Buffer]>;
    const bad: Array<Array<[string, string]>> = [
      [["ce_time", "2026-02-30 not a date"]],
      [["ce_data_base64", "%%% not base64"]],
      [["ce_schemaurl", "https://example.com/s"]],
      [["ce_dataschema", "https://example.com/s"]],
    ];
    for (const extra of bad) {
      const ev = toCloudEvent(record({ headers: ce(extra) }), source);
      assert.equal(ev.attributes.type, "dev.knative.kafka.event", JSON.stringify(extra));
      assert.equal(ev.attributes.id, "partition:2/offset:41");
      assert.doesNotThrow(() => toHttpBinary(ev), JSON.stringify(extra));
    }
    // The same event with a valid time stays a CloudEvent.
    const ok = toCloudEvent(record({ headers: ce([["ce_time", "2026-02-28T00:00:00Z"]]) }), source);
    assert.equal(ok.attributes.id, "e-1");
  });

  test("When ceOverrides are set, then every event carries those extensions", () => {
    const ev = toCloudEvent(record(), source, { team: "shop" });
    assert.equal(ev.attributes.team, "shop");
  });
});
