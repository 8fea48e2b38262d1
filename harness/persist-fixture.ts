// Test support for purchase-persist: the app on a fresh database of the real local store, and
// CloudEvents as KafkaSource POSTs them (binary mode). With `sender` (SENDER_* variables, e.g. the
// test issuer's auth.senderEnv) the app checks the sender's token as purchase-persist's server does.

import * as v from "valibot";
import { createApp } from "../functions/purchase-persist/app.ts";
import { createSenderCheck, senderFields, senderRequirements } from "../functions/purchase-persist/sender.ts";
import type { KeySource } from "../functions/shared/auth/index.ts";
import { parseEnv } from "../functions/shared/config.ts";
import { createLogger } from "../functions/shared/logging.ts";
import { createRegistry } from "../functions/shared/metrics.ts";
import { freshDatabase } from "./databases.ts";

export const KAFKA_SOURCE = "/apis/v1/namespaces/purchases/kafkasources/purchases-source#purchases";

export interface PersistFixtureOptions {
  /** SENDER_* variables: the sender identity check, as the server builds it from its environment. */
  sender?: Record<string, string>;
  /** The sender check's key source (default: fetched from SENDER_ISSUER / SENDER_JWKS_URL). */
  keys?: KeySource;
}

export async function persistFixture(prefix: string, opts: PersistFixtureOptions = {}) {
  const db = await freshDatabase(prefix, 1500);
  /** The app's log lines (warn and above). */
  const lines: string[] = [];
  const logger = createLogger("warn", {}, (l) => lines.push(l));
  const registry = createRegistry({ service: "purchase-persist", defaultMetrics: false });
  const senderConfig = parseEnv(v.pipe(v.object(senderFields), senderRequirements()), opts.sender ?? {});
  const sender = createSenderCheck(senderConfig, { logger, registry, keys: opts.keys });
  const { app } = createApp({
    logger,
    registry,
    client: db.client,
    collection: db.collection,
    batchSize: 100,
    batchWaitMs: 2,
    maxPending: 1000,
    timeoutMs: 1500,
    sender: sender.middleware,
  });
  /** POSTs `data` as a binary-mode CloudEvent with these ce-* headers (and the defaults). */
  const post = (headers: Record<string, string>, data: unknown) =>
    app.request("/", {
      method: "POST",
      headers: {
        "ce-specversion": "1.0",
        "ce-source": KAFKA_SOURCE,
        "ce-type": "dev.knative.kafka.event",
        "content-type": "application/json",
        ...headers,
      },
      body: typeof data === "string" ? data : JSON.stringify(data),
    });
  /** A counter's value in the app's /metrics, 0 when absent. */
  const metric = async (pattern: RegExp) =>
    Number((await (await app.request("/metrics")).text()).match(pattern)?.[1] ?? 0);
  return { ...db, app, post, metric, lines, close: () => db.client.close() };
}

export const purchase = (over: Record<string, unknown> = {}) => ({
  username: "dora",
  user_id: "dora",
  item_name: "Laptop",
  price: 999.99,
  timestamp: "2026-11-21T10:00:00.000Z",
  ...over,
});
