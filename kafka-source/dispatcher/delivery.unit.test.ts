import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { deliver, type SinkOptions } from "./delivery.ts";
import type { MappedEvent } from "./mapping.ts";

interface Seen {
  path: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const EVENT: MappedEvent = {
  attributes: { specversion: "1.0", id: "e-1", source: "/s", type: "t", datacontenttype: "application/json" },
  data: Buffer.from('{"n":1}'),
};

describe("deliver", () => {
  const seen: Seen[] = [];
  // Attempts answered in turn: the last one repeats.
  let answers: Array<{ status: number; headers?: Array<[string, string]> }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const answer = answers.length > 1 ? answers.shift() : answers[0];
      for (const [k, v] of answer?.headers ?? []) res.appendHeader(k, v);
      res.writeHead(answer?.status ?? 200).end("answer body");
    });
  });
  let url = "";
  const opts = (retry: number): SinkOptions => ({
    url,
    retry,
    backoffPolicy: "linear",
    backoffDelayMs: 0,
    timeoutMs: 5000,
    namespace: "ns",
  });
  before(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sink/path?q=1`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test("When the sink answers 503 twice and then 202, then every attempt carries the same request", async () => {
    seen.length = 0;
    answers = [{ status: 503 }, { status: 503 }, { status: 202 }];
    const outcome = await deliver(EVENT, opts(3), new AbortController().signal);
    assert.deepEqual(outcome, { kind: "delivered", status: 202, attempts: 3 });
    assert.equal(seen.length, 3);
    for (const s of seen) {
      assert.equal(s.path, "/sink/path?q=1");
      assert.equal(s.body, '{"n":1}');
      assert.equal(s.headers["ce-id"], "e-1");
      assert.equal(s.headers["content-type"], "application/json");
      assert.equal(s.headers["content-length"], "7");
      assert.equal(s.headers.prefer, "reply");
      assert.equal(s.headers["kn-namespace"], "ns");
    }
  });

  test("When the sink fails with repeated kne- headers, then the failure has them joined, its status and body", async () => {
    answers = [
      {
        status: 400,
        headers: [
          ["kne-reason", "a"],
          ["kne-reason", "b"],
          ["x-other", "c"],
        ],
      },
    ];
    const outcome = await deliver(EVENT, opts(3), new AbortController().signal);
    assert.equal(outcome.kind, "failed");
    if (outcome.kind !== "failed") return;
    assert.equal(outcome.attempts, 1, "a 400 is not retried");
    assert.equal(outcome.failure.status, 400);
    assert.equal(outcome.failure.headers?.["kne-reason"], "a, b");
    assert.equal(outcome.failure.headers?.["x-other"], "c");
    assert.equal(outcome.failure.body?.toString(), "answer body");
  });

  test("When nothing listens at the sink, then the failure is the connection error", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const outcome = await deliver(
      EVENT,
      { ...opts(0), url: `http://127.0.0.1:${port}/` },
      new AbortController().signal,
    );
    assert.equal(outcome.kind, "failed");
    if (outcome.kind !== "failed") return;
    assert.match(outcome.failure.error ?? "", /ECONNREFUSED/);
    assert.equal(outcome.failure.status, undefined);
  });
  describe("with a sender token", () => {
    /** A token source by hand: tokens t1, t2, ... ; `failing` makes get() throw. */
    const tokenSource = (opts: { failing?: boolean } = {}) => {
      let n = 0;
      let cached: string | undefined;
      const log: string[] = [];
      return {
        log,
        get: async () => {
          if (opts.failing) throw new Error("token endpoint unreachable");
          if (cached) return { token: cached, fresh: false };
          cached = `t${++n}`;
          log.push(`fetched ${cached}`);
          return { token: cached, fresh: true };
        },
        invalidate: (token: string) => {
          log.push(`invalidated ${token}`);
          if (cached === token) cached = undefined;
        },
      };
    };

    test("When a token source is set, then every attempt carries Authorization: Bearer with its token", async () => {
      seen.length = 0;
      answers = [{ status: 503 }, { status: 200 }];
      const credentials = tokenSource();
      const outcome = await deliver(EVENT, { ...opts(2), credentials }, new AbortController().signal);
      assert.deepEqual(outcome, { kind: "delivered", status: 200, attempts: 2 });
      assert.deepEqual(
        seen.map((s) => s.headers.authorization),
        ["Bearer t1", "Bearer t1"],
      );
    });

    test("When the sink answers 401 to a cached token, then it is dropped and the event sent at once with a new one, outside the retry policy", async () => {
      const credentials = tokenSource();
      await credentials.get(); // t1 is now cached, as after an earlier delivery
      seen.length = 0;
      answers = [{ status: 401 }, { status: 200 }];
      const outcome = await deliver(EVENT, { ...opts(0), credentials }, new AbortController().signal);
      assert.deepEqual(outcome, { kind: "delivered", status: 200, attempts: 2 });
      assert.deepEqual(
        seen.map((s) => s.headers.authorization),
        ["Bearer t1", "Bearer t2"],
      );
      assert.deepEqual(credentials.log, ["fetched t1", "invalidated t1", "fetched t2"]);
    });

    test("When the sink answers 401 to a token fetched for this attempt, then it fails like any 4xx", async () => {
      seen.length = 0;
      answers = [{ status: 401 }];
      const outcome = await deliver(
        EVENT,
        { ...opts(3), credentials: tokenSource() },
        new AbortController().signal,
      );
      assert.equal(outcome.kind, "failed");
      if (outcome.kind !== "failed") return;
      assert.deepEqual([outcome.failure.status, outcome.attempts, seen.length], [401, 1, 1]);
    });

    test("When no token can be had, then each attempt fails without a request and is retried per the policy", async () => {
      seen.length = 0;
      const retries: number[] = [];
      const outcome = await deliver(
        EVENT,
        { ...opts(2), credentials: tokenSource({ failing: true }), onRetry: (r) => retries.push(r) },
        new AbortController().signal,
      );
      assert.equal(outcome.kind, "failed");
      if (outcome.kind !== "failed") return;
      assert.deepEqual([outcome.attempts, retries, seen.length], [3, [1, 2], 0]);
      assert.equal(outcome.failure.status, undefined);
      assert.match(outcome.failure.error ?? "", /no token for the sink: token endpoint unreachable/);
    });
  });
});
