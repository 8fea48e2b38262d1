// purchase-persist: the KafkaSource sink. Accepts one CloudEvent per POST (binary or structured
// mode), validates it, and stores the purchase exactly once in effect.
// Status codes follow the KafkaSource delivery contract (docs/kafka-source.md#behaviour, Retries):
//   2xx stored or already stored (the same purchase); 400 invalid, 422 identity conflict (another
//   purchase holds the event's identity; neither is retried: dead-lettered);
//   503 too many writes pending or the database unavailable (retried). Codes: ../shared/errors.ts.

import type { IncomingMessage } from "node:http";
import { HTTP } from "cloudevents";
import type { MiddlewareHandler } from "hono";
import type { Collection, MongoClient } from "mongodb";
import { Counter, Histogram } from "prom-client";
import { type BaseDeps, createBaseApp } from "../shared/app.ts";
import { decodeUtf8, readBody } from "../shared/body.ts";
import { AppError, Errors, onError } from "../shared/errors.ts";
import { cachedProbe } from "../shared/health.ts";
import { serviceInfo } from "../shared/info.ts";
import { errorFields } from "../shared/logging.ts";
import { ping } from "../shared/mongo.ts";
import type { PurchaseDoc } from "../shared/purchase.ts";
import { withStoreFailures } from "../shared/store-failure.ts";
import { createBatcher, type WriteOutcome } from "./batcher.ts";
import { declaredAttributes, repeatedAttributeHeaders, toPurchaseDoc } from "./event.ts";
import { conflictError } from "./identity.ts";

const MAX_EVENT_BYTES = 64 * 1024;

export interface PersistDeps extends BaseDeps {
  client: MongoClient;
  collection: Collection<PurchaseDoc>;
  batchSize: number;
  batchWaitMs: number;
  maxPending: number;
  timeoutMs: number;
  now?: () => Date;
  /** The sender identity check (sender.ts) run before each event; none: every sender is accepted. */
  sender?: MiddlewareHandler;
}

export function createApp(deps: PersistDeps) {
  const { registry, logger, maxPending } = deps;
  const now = deps.now ?? (() => new Date());
  const persisted = new Counter({
    name: "purchases_persisted_total",
    help: "Purchases stored",
    registers: [registry],
  });
  const duplicates = new Counter({
    name: "purchases_duplicate_total",
    help: "Redelivered purchases that were already stored (answered 2xx, not stored again)",
    registers: [registry],
  });
  const rejected = new Counter({
    name: "purchases_rejected_total",
    help: "Events refused, by reason",
    labelNames: ["reason"],
    registers: [registry],
  });
  // Every reason from 0, so that a rule's increase() sees the first rejection of a process.
  for (const reason of [
    "invalid_event",
    "invalid_data",
    "identity_conflict",
    "too_large",
    "incomplete",
    "overloaded",
  ])
    rejected.inc({ reason }, 0);
  const batchSizes = new Histogram({
    name: "purchases_persist_batch_size",
    help: "Documents per database write (group commit)",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const eventAge = new Histogram({
    name: "purchases_event_age_seconds",
    help: "Event age when stored: store time minus the purchase timestamp",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const batcher = createBatcher(deps.collection, {
    maxBatch: deps.batchSize,
    maxWaitMs: deps.batchWaitMs,
    onBatch: (n) => batchSizes.observe(n),
  });
  const dbUp = cachedProbe(() => ping(deps.client, Math.min(deps.timeoutMs, 2000)));

  const reject = (reason: string, err: AppError): never => {
    rejected.inc({ reason });
    throw err;
  };

  const app = createBaseApp(deps);
  // Every write failure below is already a 503; this holds for any store call a route adds.
  app.onError(withStoreFailures(onError(logger)));
  app.get("/", (c) =>
    c.json(
      serviceInfo("purchase-persist", "KafkaSource sink: stores purchase CloudEvents", [
        "POST / (CloudEvent)",
      ]),
    ),
  );
  app.get("/health", async (c) => {
    const ok = await dbUp();
    const body = {
      status: ok ? "healthy" : "unhealthy",
      service: "purchase-persist",
      mongodb: ok ? "connected" : "unreachable",
    };
    return c.json(body, ok ? 200 : 503);
  });

  app.post("/", deps.sender ?? ((_c, next) => next()), async (c) => {
    if (batcher.pending() >= maxPending) {
      rejected.inc({ reason: "overloaded" });
      throw Errors.overloaded(`${maxPending} writes are already pending; retry later`);
    }
    // Served by Node, repeated headers are visible in the raw list (app.request in tests has none).
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const repeated = repeatedAttributeHeaders(incoming?.rawHeaders ?? []);
    if (repeated.length > 0)
      return reject(
        "invalid_event",
        new AppError(
          "invalid_event",
          `invalid CloudEvent: header ${repeated.join(", ")} sent more than once`,
        ),
      );
    // Node's own header object when served by Node (lower-case names, repeats joined as the Fetch
    // Headers join them; a repeated attribute header was refused above): iterating the Fetch
    // Headers sorts and copies them on every event.
    const headers =
      (incoming?.headers as Record<string, string> | undefined) ?? Object.fromEntries(c.req.raw.headers);
    const bytes = await readBody(c, MAX_EVENT_BYTES).catch((err: AppError) =>
      reject(err.status === 413 ? "too_large" : "incomplete", err),
    );
    const body = decodeUtf8(bytes);
    if (body === undefined)
      return reject("invalid_event", new AppError("invalid_event", "the body is not valid UTF-8"));
    let event: ReturnType<typeof HTTP.toEvent>;
    try {
      event = HTTP.toEvent({ headers, body });
    } catch (err) {
      return reject(
        "invalid_event",
        new AppError("invalid_event", `cannot read the CloudEvent: ${(err as Error).message}`),
      );
    }
    if (Array.isArray(event))
      return reject("invalid_event", new AppError("invalid_event", "batched CloudEvents are not accepted"));
    const mapped = toPurchaseDoc(event, now(), declaredAttributes(headers, body));
    if (!mapped.ok)
      return reject(mapped.reason, new AppError(mapped.reason, mapped.message, { details: mapped.details }));

    const { doc } = mapped;
    let outcome: WriteOutcome;
    try {
      outcome = await batcher.submit(doc, mapped.ids);
    } catch (err) {
      logger.warn("store failed; the event will be retried", { ...errorFields(err), eventId: event.id });
      throw Errors.databaseUnavailable("the database did not acknowledge the write; retry later");
    }
    if (outcome.status === "conflict") {
      logger.warn("identity conflict: a different purchase holds this event's identity; not stored", {
        event: { source: doc.event_source, id: doc.event_id },
        storedId: outcome.stored._id,
        differences: outcome.differences,
      });
      return reject("identity_conflict", conflictError(outcome.stored, outcome.differences));
    }
    if (outcome.status === "duplicate") {
      duplicates.inc();
      // The id it is stored under: one stored before its time counted has another derived id.
      return c.json({ status: "duplicate", id: outcome.stored._id }, 200);
    }
    persisted.inc();
    eventAge.observe(Math.max(0, (Date.now() - doc.timestamp.getTime()) / 1000));
    return c.json({ status: "stored", id: doc._id }, 200);
  });

  return { app, drain: batcher.drain };
}
