import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { splitDeadLetter, toDeadLetterRecord, toProducerHeaders } from "./dead-letter-record.ts";
import { type KafkaRecord, toCloudEvent } from "./mapping.ts";
import { errorExtensions } from "./retry.ts";

const source = { namespace: "purchases", name: "purchases-source" };
const h = (pairs: Array<[string, string]>): Array<[string, Buffer]> =>
  pairs.map(([k, v]) => [k, Buffer.from(v)]);
const record = (headers: Array<[string, string]>, value: Buffer | null): KafkaRecord => ({
  topic: "purchases",
  partition: 2,
  offset: 9,
  key: Buffer.from("user-1"),
  value,
  headers: h(headers),
});
const failure = errorExtensions("http://persist/", { status: 400, body: Buffer.from("no") });

describe("dead-letter record", () => {
  test("When a structured CloudEvent with garbage data_base64 is dead-lettered, then the letter holds its JSON bytes, key and headers unchanged", () => {
    const value = Buffer.from('{"specversion":"1.0","id":"e","source":"/s","type":"t","data_base64":"%%"}');
    const original = record([["content-type", "application/cloudevents+json"]], value);
    const letter = toDeadLetterRecord(original, toCloudEvent(original, source), failure);
    assert.deepEqual(letter.value, value);
    assert.deepEqual(letter.key, original.key);
    assert.deepEqual(letter.headers.slice(0, 1), original.headers);
    const names = letter.headers.map(([n]) => n);
    for (const n of ["ce_specversion", "ce_id", "ce_knativeerrorcode", "ce_knativekafkaoffset"])
      assert.ok(names.includes(n), `${n} in ${names}`);
    assert.ok(!names.slice(1).includes("content-type"), "the original content-type is not repeated");
  });

  test("When a binary-mode CloudEvent is dead-lettered, then only headers it lacks are added, and the split gives back the original", () => {
    const original = record(
      [
        ["ce_specversion", "1.0"],
        ["ce_id", "e-1"],
        ["ce_source", "/buy"],
        ["ce_type", "t"],
        ["X-Other", "\u0001raw"],
      ],
      Buffer.from([0, 255, 1]),
    );
    const letter = toDeadLetterRecord(original, toCloudEvent(original, source), failure);
    const { replayable, failure: read } = splitDeadLetter(letter);
    assert.deepEqual(replayable.headers, original.headers);
    assert.deepEqual(replayable.value, original.value);
    assert.equal(read.knativeerrorcode, "400");
    assert.equal(read.knativekafkapartition, "2");
    assert.equal(read.knativekafkaoffset, "9");
  });

  test("When a dead letter comes from a KafkaSink (its own header order), then the split keeps every attribute but the failure ones", () => {
    const { replayable, failure: read } = splitDeadLetter({
      key: undefined,
      value: null,
      headers: h([
        ["ce_knativeerrordest", "http://persist/"],
        ["ce_id", "e-2"],
        ["ce_knativeerrorcode", "500"],
        ["ce_partitionkey", "user-1"],
        ["ce_knativekafkaoffset", "4"],
      ]),
    });
    assert.deepEqual(
      replayable.headers.map(([n]) => n),
      ["ce_id", "ce_partitionkey"],
    );
    assert.deepEqual(read, {
      knativeerrordest: "http://persist/",
      knativeerrorcode: "500",
      knativekafkaoffset: "4",
    });
  });

  test("When headers repeat a name, then the producer gets each name once with its values in order", () => {
    const out = toProducerHeaders(
      h([
        ["a", "1"],
        ["b", "2"],
        ["a", "3"],
        ["__proto__", "4"],
      ]),
    );
    assert.deepEqual(
      Object.entries(out).map(([k, v]) => [k, v.map(String)]),
      [
        ["a", ["1", "3"]],
        ["b", ["2"]],
        ["__proto__", ["4"]],
      ],
    );
  });
});
