import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toHttpBinary, toKafkaBinary } from "./binding.ts";

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
