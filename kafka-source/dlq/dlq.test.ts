// scripts/dlq.ts: its pure parts, then list and replay against the local Kafka.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type KafkaFixture, kafkaFixture } from "../../harness/dispatcher-fixture.ts";
import { runDlqTool } from "../../harness/topics.ts";
import { toKafkaBinary } from "../dispatcher/binding.ts";
import { toDeadLetterRecord, toProducerHeaders } from "../dispatcher/dead-letter-record.ts";
import { type KafkaRecord, toCloudEvent } from "../dispatcher/mapping.ts";
import { errorExtensions } from "../dispatcher/retry.ts";
import { describe as describeLetter, parseArgs, replayMessage, select, UsageError } from "./dead-letters.ts";

/** A plain record purchase-persist refused with 400, and its dead letter as the dispatcher writes it. */
const original: KafkaRecord = {
  topic: "purchases",
  partition: 1,
  offset: 7,
  timestamp: Date.UTC(2026, 0, 2),
  key: Buffer.from("user-9"),
  value: Buffer.from('{"item_name":"book","price":-1}'),
  headers: [
    ["content-type", Buffer.from("application/json")],
    ["X-Trace", Buffer.from("t-1")],
  ],
};
const source = { namespace: "purchases", name: "purchases-source" };
const failure = errorExtensions("http://persist/", {
  status: 400,
  body: Buffer.from('{"error":"invalid price"}'),
});
const deadLetter = toDeadLetterRecord(original, toCloudEvent(original, source), failure);
const asRecord = (offset: number): KafkaRecord => ({ topic: "dlq", partition: 0, offset, ...deadLetter });
/** The last value of each header, as text. */
const text = (headers: Record<string, Buffer[] | string>) =>
  Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, typeof v === "string" ? v : String(v.at(-1))]),
  );

describe("dlq: dead letters", () => {
  test("When a dead letter is described, then id, source, type, error code, decoded error data and data show", () => {
    const text = describeLetter(asRecord(3));
    for (const part of [
      "0:3",
      "id=partition:1/offset:7",
      "type=dev.knative.kafka.event",
      "source=/apis/v1/namespaces/purchases/kafkasources/purchases-source#purchases",
      "knativeerrorcode=400",
      'knativeerrordata: {"error":"invalid price"}',
      'data: {"item_name":"book","price":-1}',
    ]) {
      assert.ok(text.includes(part), `${part} in\n${text}`);
    }
  });

  test("When a dead letter is replayed, then the original record comes back with its id, without the failure headers", () => {
    const m = replayMessage(asRecord(3));
    const h = text(m.headers);
    assert.equal(m.id, "partition:1/offset:7");
    assert.equal(h.ce_id, "partition:1/offset:7");
    assert.equal(h.ce_type, "dev.knative.kafka.event");
    assert.equal(h["content-type"], "application/json");
    assert.equal(h["X-Trace"], "t-1", "the original headers as produced");
    assert.deepEqual(
      Object.keys(m.headers).filter((n) => n.startsWith("ce_knative")),
      [],
    );
    assert.equal(m.key?.toString(), "user-9");
    assert.equal(m.value?.toString(), '{"item_name":"book","price":-1}');
  });

  test("When a dead letter from before the original was kept is replayed, then its event comes back without knativeerror*", () => {
    const old = toKafkaBinary(
      {
        attributes: { ...toCloudEvent(original, source).attributes, ...failure },
        data: original.value ?? undefined,
      },
      original.key,
    );
    const headers = Object.entries(old.headers).map(([k, v]): [string, Buffer] => [k, Buffer.from(v)]);
    const m = replayMessage({ ...asRecord(3), headers });
    assert.equal(m.id, "partition:1/offset:7");
    assert.deepEqual(
      Object.keys(m.headers).filter((n) => n.startsWith("ce_knativeerror")),
      [],
    );
    assert.match(describeLetter({ ...asRecord(3), headers }), /knativeerrorcode=400/);
  });

  test("When a dead letter is replayed with --new-id, then it gets an id from its DLQ position (the same every time) and keeps the old one as originalid", () => {
    const m = replayMessage(asRecord(3), { newId: true });
    const h = text(m.headers);
    assert.equal(m.originalId, "partition:1/offset:7");
    assert.notEqual(h.ce_id, "partition:1/offset:7");
    assert.match(h.ce_id ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(h.ce_originalid, "partition:1/offset:7");
    assert.equal(h.ce_source, "/apis/v1/namespaces/purchases/kafkasources/purchases-source#purchases");
    assert.equal(replayMessage(asRecord(3), { newId: true }).id, m.id);
    assert.notEqual(replayMessage(asRecord(4), { newId: true }).id, m.id);
    assert.equal(m.value?.toString(), '{"item_name":"book","price":-1}');
  });

  test("When arguments are wrong, then a UsageError says what is wrong", () => {
    const d = { topic: "purchases-dlq", to: "purchases" };
    assert.deepEqual(parseArgs(["list", "--limit", "5"], d), {
      command: "list",
      topic: "purchases-dlq",
      limit: 5,
    });
    assert.deepEqual(parseArgs(["replay", "3", "1:4", "--to", "x"], d), {
      command: "replay",
      topic: "purchases-dlq",
      to: "x",
      positions: [{ offset: 3 }, { partition: 1, offset: 4 }],
      newId: false,
    });
    assert.equal((parseArgs(["replay", "3", "--new-id"], d) as { newId: boolean }).newId, true);
    assert.throws(() => parseArgs(["list", "--new-id"], d), /--new-id are for replay/);
    assert.throws(() => parseArgs(["replay"], d), /at least one offset/);
    assert.throws(() => parseArgs(["replay", "abc"], d), /not an offset/);
    assert.throws(() => parseArgs(["list", "--limit", "0"], d), /--limit/);
    assert.throws(() => parseArgs(["list", "--bogus", "1"], d), /unknown option --bogus/);
    assert.throws(() => parseArgs(["purge"], d), /unknown command purge/);
    assert.throws(() => select([asRecord(3), { ...asRecord(3), partition: 2 }], [{ offset: 3 }]), UsageError);
  });
});

describe("dlq: scripts/dlq.ts against Kafka", () => {
  let kafka: KafkaFixture;
  before(async () => {
    kafka = await kafkaFixture();
  });
  after(async () => kafka.close());

  test("When list runs, then it shows the dead letter; when replay runs, then the event is back on the topic with its id", async () => {
    const dlqTopic = await kafka.topic(1);
    const target = await kafka.topic(1);
    await kafka.producer.send({
      topic: dlqTopic,
      messages: [
        {
          key: deadLetter.key ?? null,
          value: deadLetter.value,
          headers: toProducerHeaders(deadLetter.headers),
        },
      ],
    });

    const list = await runDlqTool("list", "--topic", dlqTopic);
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /0:0 {2}id=partition:1\/offset:7/);
    assert.match(list.out, /knativeerrorcode=400/);
    assert.match(list.out, /knativeerrordata: \{"error":"invalid price"\}/);
    assert.match(list.out, /1 of 1 dead letter/);

    const replay = await runDlqTool("replay", "0", "--topic", dlqTopic, "--to", target);
    assert.equal(replay.code, 0, replay.out);
    const [back] = await kafka.read(target);
    const headers = Object.fromEntries(back?.headers.map(([k, v]) => [k, v.toString()]) ?? []);
    assert.equal(headers.ce_id, "partition:1/offset:7");
    assert.equal(headers.ce_source, "/apis/v1/namespaces/purchases/kafkasources/purchases-source#purchases");
    assert.equal(headers.ce_knativeerrorcode, undefined);
    assert.equal(headers["X-Trace"], "t-1");
    assert.equal(back?.key?.toString(), "user-9");
    assert.equal(back?.value?.toString(), '{"item_name":"book","price":-1}');
  });

  test("When replay gets no offset or an offset that is not there, then it exits 2 with the reason and the usage", async () => {
    const dlqTopic = await kafka.topic(1);
    const none = await runDlqTool("replay", "--topic", dlqTopic);
    assert.equal(none.code, 2);
    assert.match(none.out, /replay needs at least one offset[\s\S]*usage:/);
    const missing = await runDlqTool("replay", "5", "--topic", dlqTopic, "--to", dlqTopic);
    assert.equal(missing.code, 2);
    assert.match(missing.out, /no dead letter at offset 5/);
  });
});
