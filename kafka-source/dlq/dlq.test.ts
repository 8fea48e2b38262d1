// scripts/dlq.ts: its pure parts, then list and replay against the local Kafka.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type KafkaFixture, kafkaFixture } from "../../harness/dispatcher-fixture.ts";
import { runDlqTool } from "../../harness/topics.ts";
import { toKafkaBinary } from "../dispatcher/binding.ts";
import type { KafkaRecord } from "../dispatcher/mapping.ts";
import { errorExtensions } from "../dispatcher/retry.ts";
import { describe as describeLetter, parseArgs, replayMessage, select, UsageError } from "./dead-letters.ts";

/** A dead letter exactly as the dispatcher produces it for a plain record the sink refused with 400. */
const deadLetter = toKafkaBinary(
  {
    attributes: {
      specversion: "1.0",
      id: "partition:1/offset:7",
      source: "/apis/v1/namespaces/purchases/kafkasources/purchases-source#purchases",
      type: "dev.knative.kafka.event",
      key: "user-9",
      partitionkey: "user-9",
      datacontenttype: "application/json",
      knativekafkapartition: 1,
      knativekafkaoffset: 7,
      ...errorExtensions("http://persist/", { status: 400, body: Buffer.from('{"error":"invalid price"}') }),
    },
    data: Buffer.from('{"item_name":"book","price":-1}'),
  },
  Buffer.from("user-9"),
);
const asRecord = (offset: number): KafkaRecord => ({
  topic: "dlq",
  partition: 0,
  offset,
  key: deadLetter.key,
  value: deadLetter.value,
  headers: Object.entries(deadLetter.headers).map(([k, v]) => [k, Buffer.from(v)]),
});

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

  test("When a dead letter is replayed, then it keeps id, source, type, data and key but loses the knativeerror* extensions", () => {
    const m = replayMessage(asRecord(3));
    assert.equal(m.headers.ce_id, "partition:1/offset:7");
    assert.equal(m.headers.ce_type, "dev.knative.kafka.event");
    assert.equal(m.headers.ce_partitionkey, "user-9");
    assert.equal(m.headers["content-type"], "application/json");
    assert.deepEqual(
      Object.keys(m.headers).filter((h) => h.startsWith("ce_knative")),
      [],
    );
    assert.equal(m.key?.toString(), "user-9");
    assert.equal(m.value?.toString(), '{"item_name":"book","price":-1}');
  });

  test("When a dead letter is replayed with --new-id, then it gets an id from its DLQ position (the same every time) and keeps the old one as originalid", () => {
    const m = replayMessage(asRecord(3), { newId: true });
    assert.notEqual(m.headers.ce_id, "partition:1/offset:7");
    assert.match(m.headers.ce_id ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(m.headers.ce_originalid, "partition:1/offset:7");
    assert.equal(
      m.headers.ce_source,
      "/apis/v1/namespaces/purchases/kafkasources/purchases-source#purchases",
    );
    assert.equal(replayMessage(asRecord(3), { newId: true }).headers.ce_id, m.headers.ce_id);
    assert.notEqual(replayMessage(asRecord(4), { newId: true }).headers.ce_id, m.headers.ce_id);
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
      messages: [{ key: deadLetter.key ?? null, value: deadLetter.value, headers: deadLetter.headers }],
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
