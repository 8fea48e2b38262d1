// The run command's supervisor against the whole local system (real functions, dispatcher, gateway,
// Kafka and FerretDB): what is killed comes back on its port and the pipeline works again.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, before, describe, test } from "node:test";
import type { MongoClient } from "mongodb";
import { testAuth } from "./auth-fixture.ts";
import { freshDatabase } from "./databases.ts";
import { isolatedPipeline, unique } from "./names.ts";
import {
  KUBELET_BACKOFF,
  LOCAL_BACKOFF,
  restartDelayMs,
  type Supervisor,
  type SupervisorEvent,
  supervise,
} from "./supervisor.ts";
import { type System, startSystem } from "./system.ts";
import { waitFor } from "./wait.ts";

describe("restart back-off", () => {
  test("When a component keeps crashing, then the wait doubles from 1 s up to the kubelet's 5 min cap", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 9, 10, 30].map((n) => restartDelayMs(LOCAL_BACKOFF, n)),
      [1000, 2000, 4000, 8000, 16_000, 256_000, 300_000, 300_000],
    );
  });

  test("When the kubelet's policy is used, then it waits 10 s, 20 s, 40 s ... 5 min", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => restartDelayMs(KUBELET_BACKOFF, n)),
      [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000],
    );
  });
});

describe("supervisor (the whole system)", () => {
  let system: System;
  let supervisor: Supervisor;
  let client: MongoClient;
  const events: SupervisorEvent[] = [];
  const policy = { initialMs: 100, maxMs: 1000, resetAfterMs: 60_000 };
  // Runs in the supervisor's own exit handler, before the restart is scheduled.
  let onExit: ((e: SupervisorEvent) => void) | undefined;

  before(async () => {
    const db = await freshDatabase("supervisor");
    client = db.client;
    const auth = await testAuth();
    const env = {
      ...isolatedPipeline("supervisor").env,
      ...auth.env,
      MONGODB_URI: db.uri,
      LOG_LEVEL: "info",
    };
    system = await startSystem({ env });
    supervisor = supervise(system, {
      policy,
      onEvent: (e) => {
        events.push(e);
        if (e.kind === "exited") onExit?.(e);
      },
    });
  });

  after(async () => {
    await supervisor?.stop();
    await system?.stop();
    await client?.close();
  });

  const restarted = (name: string, since: number) =>
    waitFor(
      `${name} restarted`,
      async () => events.slice(since).find((e) => e.kind === "restarted" && e.name === name),
      { timeoutMs: 30_000 },
    );

  const buy = async (user: string) => {
    const res = await fetch(`${system.url("gateway")}/buy`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "idempotency-key": unique("k"),
        ...(await (await testAuth()).headers(user)),
      },
      body: JSON.stringify({ username: user, user_id: user }),
    });
    return { status: res.status, body: (await res.json()) as { purchase?: { id: string } } };
  };

  for (const name of ["buy", "purchase-persist", "kafka-source"]) {
    test(`When ${name} is SIGKILLed, then it is restarted on its port and a purchase is stored again`, async () => {
      const before = system.components.get(name);
      assert.ok(before);
      const since = events.length;
      await before.stop("SIGKILL");
      const event = await restarted(name, since);
      assert.equal(event.port, before.port, "same port");
      assert.notEqual(system.components.get(name), before, "the new process replaces the old");
      assert.ok(
        events.slice(since).some((e) => e.kind === "restarting" && e.name === name && e.delayMs === 100),
        "a first crash waits the initial back-off",
      );
      const user = unique("u");
      const { body } = await waitFor("a 202 through the gateway", async () => {
        const r = await buy(user);
        return r.status === 202 && r;
      });
      await waitFor(
        "the purchase in the history",
        async () => {
          const res = await fetch(`${system.url("gateway")}/getAllUserBuys/${user}`, {
            headers: await (await testAuth()).headers(user),
          });
          const history = (await res.json()) as { purchases?: { id: string }[] };
          return history.purchases?.some((p) => p.id === body.purchase?.id);
        },
        { timeoutMs: 30_000 },
      );
    });
  }

  test("When a restart fails because its port is taken, then the waits double and it comes back once the port is free", async () => {
    const items = system.components.get("items");
    assert.ok(items);
    const since = events.length;
    let blocker: Server | undefined;
    onExit = (e) => {
      // Bound synchronously here, before the first restart can start (listen on an IP binds at once).
      if (e.name === "items") blocker = createServer().listen(items.port, "127.0.0.1");
    };
    await items.stop("SIGKILL");
    onExit = undefined;
    await waitFor(
      "two failed restarts",
      async () =>
        events.slice(since).filter((e) => e.kind === "restart-failed" && e.name === "items").length >= 2,
      { timeoutMs: 30_000 },
    );
    await new Promise((resolve) => blocker?.close(resolve));
    const event = await restarted("items", since);
    assert.equal(event.port, items.port);
    const waits = events
      .slice(since)
      .filter((e) => e.kind === "restarting" && e.name === "items")
      .map((e) => e.delayMs);
    assert.deepEqual(waits.slice(0, 3), [100, 200, 400], "doubling back-off");
    const res = await fetch(`${system.url("gateway")}/items`);
    assert.equal(res.status, 200);
  });
});
