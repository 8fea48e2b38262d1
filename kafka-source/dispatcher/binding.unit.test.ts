import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CloudEvent, HTTP } from "cloudevents";
import { percentEncode, toHttpBinary, toKafkaBinary } from "./binding.ts";
import type { Attributes, MappedEvent } from "./mapping.ts";

const attributes = {
  specversion: "1.0",
  id: "partition:0/offset:3",
  source: "/apis/v1/namespaces/ns/kafkasources/src#t",
  type: "dev.knative.kafka.event",
  knativekafkapartition: 0,
  knativekafkaoffset: 3,
};

describe("binding: binary content mode", () => {
  test("When an event goes over HTTP, then attributes are ce- headers and data is the raw body", () => {
    const data = Buffer.from('{"a":1}');
    const msg = toHttpBinary({ attributes: { ...attributes, datacontenttype: "application/json" }, data });
    assert.equal(msg.headers["ce-id"], "partition:0/offset:3");
    assert.equal(msg.headers["ce-specversion"], "1.0");
    assert.equal(msg.headers["ce-knativekafkapartition"], "0");
    assert.equal(msg.headers["ce-knativekafkaoffset"], "3");
    assert.equal(msg.headers["content-type"], "application/json");
    assert.equal(msg.body, data);
  });

  test("When the event has no time and no datacontenttype, then neither ce-time nor Content-Type is sent", () => {
    const msg = toHttpBinary({ attributes, data: Buffer.from("x") });
    assert.equal(msg.headers["ce-time"], undefined);
    assert.equal(msg.headers["content-type"], undefined);
  });

  test("When an attribute has characters outside printable ASCII, then the header value is percent-encoded", () => {
    const msg = toHttpBinary({ attributes: { ...attributes, kafkaheadername: "Zoë ✓" }, data: undefined });
    assert.equal(msg.headers["ce-kafkaheadername"], "Zo%C3%AB%20%E2%9C%93".replace("%20", " "));
  });

  test("When an event goes to Kafka, then attributes are ce_ headers and datacontenttype is content-type", () => {
    const msg = toKafkaBinary(
      { attributes: { ...attributes, datacontenttype: "text/plain" }, data: undefined },
      undefined,
    );
    assert.equal(msg.headers.ce_id, "partition:0/offset:3");
    assert.equal(msg.headers["content-type"], "text/plain");
    assert.equal(msg.headers.ce_datacontenttype, undefined);
    assert.equal(msg.value, null);
  });
});

/** The SDK-based mapping toHttpBinary replaced (HTTP.binary plus the same corrections): the oracle. */
function viaSdk(event: MappedEvent): Record<string, string> {
  const message = HTTP.binary(new CloudEvent<Buffer>({ ...event.attributes, data: event.data }, false));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = String(value);
  }
  if (event.attributes.time === undefined) delete headers["ce-time"];
  if (event.attributes.datacontenttype === undefined) delete headers["content-type"];
  else headers["content-type"] = String(event.attributes.datacontenttype);
  for (const name of Object.keys(headers)) {
    if (name.startsWith("ce-")) headers[name] = percentEncode(headers[name] as string);
  }
  return headers;
}

const outcome = (f: () => Record<string, string>) => {
  try {
    return { headers: Object.entries(f()).sort(([a], [b]) => a.localeCompare(b)) };
  } catch (err) {
    return { threw: `${(err as Error).name}: ${(err as Error).message}` };
  }
};

describe("binding: toHttpBinary against the SDK's HTTP.binary", () => {
  const base: Attributes = { specversion: "1.0", id: "e-1", source: "/s", type: "t" };
  // Each variant on its own and over the others: lower-case collisions, every own attribute,
  // values of every type, what the SDK refuses.
  const variants: Attributes[] = [
    {},
    { datacontenttype: "application/json" },
    { datacontenttype: "" },
    { time: "2026-11-27T18:32:52Z" },
    { time: "2026-11-27T18:32:52.123456+02:00" },
    { time: 1764268372000 },
    { time: "not a time" },
    { subject: "partition:0#3", dataschema: "http://schema", datacontentencoding: "base64" },
    { specversion: "0.3", schemaurl: "http://schema" },
    { specversion: "0.3", dataschema: "http://schema" },
    { schemaurl: "http://schema" },
    { data_base64: "aGVsbG8=" },
    { data_base64: "!!" },
    { data: "an attribute named data" },
    { knativekafkapartition: 0, knativekafkaoffset: 3, flag: true, zero: 0, empty: "" },
    { kafkaheadername: "Zoë ✓", TIME: "upper", ID: "upper-id", Type: "upper-type" },
    { "2": "an integer-like name", Zeta: "z", alpha: "a" },
  ];
  const events: MappedEvent[] = [];
  for (const a of variants) {
    for (const b of variants) events.push({ attributes: { ...base, ...a, ...b }, data: Buffer.from("{}") });
  }
  events.push({ attributes: { ...base }, data: undefined });

  test(`When ${events.length} events are mapped, then the headers (or the error) are the SDK's`, () => {
    for (const event of events) {
      assert.deepEqual(
        outcome(() => toHttpBinary(event).headers),
        outcome(() => viaSdk(event)),
        JSON.stringify(event.attributes),
      );
    }
  });

  test("When the id or the time is empty, then as the SDK a random id and the current time are sent", () => {
    const event = { attributes: { ...base, id: "", time: "" }, data: undefined };
    const ours = toHttpBinary(event).headers;
    const sdk = viaSdk(event);
    assert.match(
      ours["ce-id"] ?? "",
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.match(sdk["ce-id"] ?? "", /^[0-9a-f-]{36}$/);
    const ms = (h: Record<string, string>) => Date.parse(h["ce-time"] ?? "");
    assert.ok(Math.abs(ms(ours) - ms(sdk)) < 60_000);
  });
});
