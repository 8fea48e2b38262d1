// POST /buy: validate, pick a catalog item, produce the purchase CloudEvent to Kafka, answer 202
// once Kafka has acknowledged (acks=all). Also GET / and GET /health of the public API.
import { CloudEvent, Kafka as KafkaBinding } from "cloudevents";
import { Counter, Histogram } from "prom-client";
import * as v from "valibot";
import { type BuyAccepted, BuyHeadersSchema, type BuyHealthSchema } from "../shared/api-schemas.ts";
import { type BaseDeps, createBaseApp } from "../shared/app.ts";
import { type Auth, type Identity, ownerOf } from "../shared/auth/index.ts";
import { readJsonBody } from "../shared/body.ts";
import { CATALOG, pickItem } from "../shared/catalog.ts";
import { AppError, Errors, parseOr400 } from "../shared/errors.ts";
import { cachedProbe } from "../shared/health.ts";
import { serviceInfo } from "../shared/info.ts";
import { type Admin, kafkaReachable, type Producer } from "../shared/kafka.ts";
import { errorFields } from "../shared/logging.ts";
import { serveDocs } from "../shared/openapi.ts";
import {
  AuthenticatedBuyRequestSchema,
  BuyRequestSchema,
  PURCHASE_EVENT_TYPE,
  type Purchase,
  UserIdSchema,
  UsernameSchema,
} from "../shared/purchase.ts";
import { withTimeout } from "../shared/timeout.ts";
import { incomingTraceContext, producerSpan } from "../shared/tracing.ts";
import { uuidV5For } from "../shared/uuid5.ts";
import { publicApiDocument } from "./openapi.ts";
import { certainlyNotWritten, GateClosedError } from "./outcome.ts";
import { createProduceGate } from "./produce-gate.ts";

export const MAX_BODY_BYTES = 16 * 1024;
// Fixed namespace for purchase ids derived from (user_id, Idempotency-Key): RFC 9562 UUIDv5.
const IDEMPOTENCY_NAMESPACE = "3f4e9c52-6d0b-4c3e-9a51-2b8f0d7c1e64";
const idempotentId = uuidV5For(IDEMPOTENCY_NAMESPACE);

export interface BuyDeps extends BaseDeps {
  /** Token verification (functions/shared/auth): POST /buy needs `purchases:write`. */
  auth: Auth;
  producer: Pick<Producer, "send">;
  admin: Pick<Admin, "listTopics">;
  topic: string;
  /**
   * Bound on a produce and on the health probe, in ms. The producer's message.timeout.ms must be
   * shorter (deliveryTimeoutMs in ./outcome.ts), so that the client fails a record before this.
   */
  timeoutMs: number;
  /** An acknowledgement overdue by this much stops new produces (./produce-gate.ts); ms. */
  stallMs?: number;
  /** Whether a broker accepts TCP connections (anyBrokerListening), asked after a failed produce. */
  brokersListening?: () => Promise<boolean>;
  /** CloudEvent source naming this function. */
  source?: string;
  random?: () => number;
  now?: () => Date;
}

export function createApp(deps: BuyDeps) {
  const { producer, topic, timeoutMs, logger, registry, source = "/purchases/functions/buy" } = deps;
  const now = deps.now ?? (() => new Date());
  const produced = new Counter({
    name: "purchases_produced_total",
    help: "Purchases acknowledged by Kafka",
    registers: [registry],
  });
  const produceSeconds = new Histogram({
    name: "kafka_produce_duration_seconds",
    help: "Time from produce to Kafka acknowledgement (acks=all)",
    labelNames: ["result"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // A quarter of the deadline, at most 1 s: acks=all takes milliseconds on a healthy cluster, and the
  // fewer purchases are handed to a stuck client, the fewer answers are "outcome unknown".
  const gate = createProduceGate({
    stallMs: deps.stallMs ?? Math.min(1000, Math.round(timeoutMs / 4)),
    reachable: deps.brokersListening,
  });
  const kafkaUp = cachedProbe(() => kafkaReachable(deps.admin, Math.min(timeoutMs, 2000)));

  const app = createBaseApp(deps);

  app.get("/", (c) =>
    c.json(
      serviceInfo("purchase-api", "Buy random items and read purchase history", [
        "POST /buy",
        "GET /items",
        "GET /getAllUserBuys/:user_id",
        "GET /health",
      ]),
    ),
  );

  app.get("/health", async (c) => {
    const ok = await kafkaUp();
    const body: v.InferOutput<typeof BuyHealthSchema> = {
      status: ok ? "healthy" : "unhealthy",
      service: "buy",
      kafka: ok ? "connected" : "unreachable",
    };
    return c.json(body, ok ? 200 : 503);
  });

  app.post("/buy", deps.auth.require("purchases:write"), async (c) => {
    const body = await readJsonBody(c, MAX_BODY_BYTES);
    const identity = c.var.identity;
    // AUTH_MODE=off: the seeds' contract, the buyer named by the body. Otherwise the token's.
    const input =
      identity === null
        ? parseOr400(BuyRequestSchema, body, "body")
        : // valibot takes an array for an object: with no field required, [] would be a purchase.
          buyerOf(
            identity,
            parseOr400(AuthenticatedBuyRequestSchema, Array.isArray(body) ? null : body, "body").user_id,
          );
    const headers = { "Idempotency-Key": c.req.header("Idempotency-Key") };
    const key = parseOr400(BuyHeadersSchema, headers, "header")["Idempotency-Key"];
    // With a key, the id and the item follow from (user_id, key): a retry is the same purchase.
    const id = key ? idempotentId(`${input.user_id}\n${key}`) : crypto.randomUUID();
    const item = key ? CATALOG[Number.parseInt(id.slice(0, 8), 16) % CATALOG.length] : pickItem(deps.random);
    if (!item) throw new Error("catalog is empty");
    const purchase: Purchase = {
      id,
      username: input.username,
      user_id: input.user_id,
      item_name: item.name,
      price: item.price,
      timestamp: now().toISOString(),
    };
    const span = producerSpan(topic, id, () =>
      incomingTraceContext(c.req.header("traceparent"), c.req.header("tracestate")),
    );
    // Kafka binary content mode: ce_* headers, the purchase JSON as the value, user_id as key, and
    // the trace context of this produce (with tracing off: the caller's, unchanged) as the
    // distributed-tracing extension (ce_traceparent).
    const event = new CloudEvent({
      ...span.traceExtensions,
      id,
      source,
      type: PURCHASE_EVENT_TYPE,
      time: purchase.timestamp,
      datacontenttype: "application/json",
      partitionkey: input.user_id,
      data: purchase,
    });
    const ceHeaders = Object.fromEntries(
      Object.entries(KafkaBinding.binary(event).headers).filter(
        (kv): kv is [string, string] => typeof kv[1] === "string",
      ),
    );
    const started = performance.now();
    try {
      const [meta] = await gate.run(() =>
        withTimeout(
          producer.send({
            topic,
            messages: [{ key: input.user_id, value: JSON.stringify(purchase), headers: ceHeaders }],
          }),
          timeoutMs,
        ),
      );
      produceSeconds.observe({ result: "ok" }, (performance.now() - started) / 1000);
      produced.inc();
      const offset = Number(meta?.baseOffset ?? meta?.offset);
      const body: BuyAccepted = {
        status: "accepted",
        purchase,
        kafka: {
          topic,
          partition: meta?.partition ?? null,
          offset: Number.isSafeInteger(offset) ? offset : null,
        },
      };
      return c.json(body, 202);
    } catch (err) {
      span.fail(err);
      if (err instanceof AppError) throw err;
      const refused = err instanceof GateClosedError; // not handed to Kafka: no produce to time
      if (!refused) produceSeconds.observe({ result: "error" }, (performance.now() - started) / 1000);
      const notWritten = certainlyNotWritten(err);
      // While Kafka is stuck the gate refuses every purchase: one warning per failed produce, not per refusal.
      logger[refused ? "debug" : "warn"]("produce failed", {
        ...errorFields(err),
        requestId: c.get("requestId"),
        purchaseId: id,
        outcome: notWritten ? "not written" : "unknown",
      });
      if (notWritten)
        throw Errors.kafkaUnavailable(
          `Kafka cannot take purchases right now (${(err as Error).message}); retry later`,
        );
      throw new AppError(
        "outcome_unknown",
        `Kafka did not confirm purchase ${id} within ${timeoutMs} ms: it may or may not have been made. ` +
          (key
            ? "Retry with the same Idempotency-Key: the retry is the same purchase."
            : `Look for ${id} in GET /getAllUserBuys/{user_id} before buying again, or send an Idempotency-Key next time.`),
      );
    } finally {
      span.end();
    }
  });
  serveDocs(app, publicApiDocument({ maxBodyBytes: MAX_BODY_BYTES }));
  return app;
}

/**
 * The buyer of an authenticated purchase: the token's user id and name. A body `user_id` may only
 * name the caller (or `me`); naming anyone else is 403, whatever the token's scopes.
 */
function buyerOf(identity: Identity, requested: string | undefined) {
  if (requested !== undefined) ownerOf(identity, requested);
  if (!v.is(UserIdSchema, identity.userId))
    throw new AppError("forbidden", "the token's user id cannot own purchases (not a valid user_id)");
  const name = v.safeParse(UsernameSchema, identity.name);
  return { user_id: identity.userId, username: name.success ? name.output : identity.userId };
}
