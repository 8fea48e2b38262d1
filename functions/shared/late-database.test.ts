// A function started while its database is unreachable becomes ready once the database is there.
// The driver's implicit connect, when it fails, closes the client for good ("Topology is closed"),
// so each start-up attempt connects explicitly (functions/shared/mongo.ts connectThen).
import assert from "node:assert/strict";
import { once } from "node:events";
import { createConnection, createServer, type Server } from "node:net";
import { after, describe, test } from "node:test";
import { testAuth } from "../../harness/auth-fixture.ts";
import { freshDatabase } from "../../harness/databases.ts";
import { freePort } from "../../harness/ports.ts";
import type { Component } from "../../harness/process.ts";
import { startFunction } from "../../harness/system.ts";
import { waitFor } from "../../harness/wait.ts";

const running: Component[] = [];
const servers: Server[] = [];
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of running) await c.stop();
  for (const s of servers) {
    s.close();
    await once(s, "close").catch(() => {});
  }
  for (const close of closers) await close();
});

/** A TCP relay on `port` to the real database, opened only now: until then nothing listens there. */
async function openRelay(port: number, to: URL) {
  const server = createServer((socket) => {
    const upstream = createConnection(Number(to.port), to.hostname);
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on("error", end);
    upstream.on("error", end);
  });
  servers.push(server);
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
}

describe("a database that comes up after the function", () => {
  for (const name of ["customer-management", "purchase-persist"]) {
    test(`When ${name} starts while its database is unreachable, then it becomes ready once the database answers`, async () => {
      const db = await freshDatabase("late-db", 10_000);
      closers.push(() => db.client.close());
      const real = new URL(db.uri);
      const port = await freePort();
      const uri = db.uri.replace(real.host, `127.0.0.1:${port}`);
      const c = await startFunction({
        name,
        // The test issuer's keys: a failed key fetch must not be taken for the database's failure.
        env: { ...(await testAuth()).env, MONGODB_URI: uri, MONGODB_TIMEOUT_MS: "500", LOG_LEVEL: "warn" },
        until: "listening",
      });
      running.push(c);
      await waitFor(`${name}'s first failed start-up attempt`, async () => /failed/.test(c.output()), {
        timeoutMs: 30_000,
      });
      assert.equal((await fetch(`${c.url}/readyz`)).status, 503, "not ready without its database");
      await openRelay(port, new URL(`mongodb://${real.host}`));
      await waitFor(`${name} ready`, async () => (await fetch(`${c.url}/readyz`)).status === 200, {
        timeoutMs: 30_000,
      });
      assert.doesNotMatch(c.output(), /Topology is closed/);
    });
  }
});
