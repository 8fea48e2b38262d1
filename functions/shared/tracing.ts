// Tracing with OpenTelemetry. The SDK (with the OTLP/HTTP exporter) is imported and started only when
// OTEL_EXPORTER_OTLP_ENDPOINT is set (Knative's observability config, or a local Jaeger); otherwise
// nothing but the API is loaded, every hook below returns at its first line, and the API's tracer is
// its no-op. The SDK reads its own standard variables (OTEL_EXPORTER_OTLP_*, OTEL_BSP_*).
//
// Across Kafka the trace context travels in the purchase CloudEvent itself, as the CloudEvents
// distributed-tracing extension (`traceparent`/`tracestate`: `ce_traceparent` headers of the record,
// `ce-traceparent` headers of the delivery). KafkaSource keeps those extensions but does not continue
// the trace itself (eventing-kafka #1105, eventing-kafka-broker #1540), so the sink does.
//
// With tracing off, a caller's valid `traceparent`/`tracestate` still reaches the record unchanged
// (W3C Trace Context 1, section 3: a system that does not record forwards the context it received),
// so a trace an ingress or a mesh started is not cut at `buy`, and a sink that does export spans
// joins it. No SDK is loaded for that: the API alone has no W3C propagator (it lives in
// @opentelemetry/core, loaded only with the SDK), and the format is two regular expressions.
import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";
import type { Context as HonoContext, MiddlewareHandler } from "hono";

const tracer = trace.getTracer("purchase-functions");
let enabled = false;

export interface Tracing {
  /** Exports the spans still buffered; call once on shutdown. */
  shutdown: () => Promise<void>;
}

/** Starts the SDK when OTEL_EXPORTER_OTLP_ENDPOINT (or its traces variant) is set. */
export async function startTracing(service: string, env = process.env): Promise<Tracing> {
  // As the OTLP spec has it: the traces variable is the full URL, the general one a base URL.
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    (env.OTEL_EXPORTER_OTLP_ENDPOINT && `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`);
  if (!url || env.OTEL_SDK_DISABLED === "true") return { shutdown: async () => {} };
  const [sdk, { OTLPTraceExporter }, { AsyncLocalStorageContextManager }, core, resources] =
    await Promise.all([
      import("@opentelemetry/sdk-trace"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/context-async-hooks"),
      import("@opentelemetry/core"),
      import("@opentelemetry/resources"),
    ]);
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || service }),
    spanProcessors: [
      // The exporter reads the other OTEL_EXPORTER_OTLP_* (headers, timeout); SDK 3 no longer reads
      // OTEL_BSP_SCHEDULE_DELAY itself.
      new sdk.BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url }),
        scheduledDelayMillis: delay(env),
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  enabled = true;
  return {
    shutdown: async () => {
      enabled = false;
      await provider.shutdown();
    },
  };
}

/** OTEL_BSP_SCHEDULE_DELAY (ms between exports; the SDK's default 5000 when unset or invalid). */
function delay(env: NodeJS.ProcessEnv): number | undefined {
  const ms = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  return env.OTEL_BSP_SCHEDULE_DELAY && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** The active span's ids, for log lines; undefined outside a traced request. */
export function traceFields(): { trace_id: string; span_id: string } | undefined {
  if (!enabled) return undefined;
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : undefined;
}

/** The active span context, to link a later batched operation to this request. */
export function activeSpanContext(): SpanContext | undefined {
  if (!enabled) return undefined;
  return trace.getActiveSpan()?.spanContext();
}

/** W3C Trace Context 1, section 3.2: version, trace-id, parent-id, flags; a future version may append. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
/** Section 3.3: list members `key=value` (tenant@system keys), up to 32, values printable ASCII. */
const TRACESTATE_MEMBER =
  /^(?:[a-z][a-z0-9_*/-]{0,255}|[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * The caller's trace context as the distributed-tracing extension, if `traceparent` is valid:
 * unchanged, as a system that does not record forwards it. An invalid `traceparent` drops both
 * (section 3.3.1: tracestate is meaningless without it); an invalid `tracestate` drops only itself.
 */
export function incomingTraceContext(
  traceparent: string | undefined,
  tracestate: string | undefined,
): { traceparent?: string; tracestate?: string } {
  const m = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim());
  if (!m) return {};
  const [, version, traceId, parentId, , rest] = m;
  const invalid =
    version === "ff" ||
    (version === "00" && rest !== undefined) ||
    /^0+$/.test(traceId as string) ||
    /^0+$/.test(parentId as string);
  if (invalid) return {};
  const parent = (traceparent as string).trim();
  const members = tracestate
    ?.split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
  const stateOk =
    members !== undefined &&
    members.length > 0 &&
    members.length <= 32 &&
    members.every((m) => TRACESTATE_MEMBER.test(m));
  return stateOk
    ? { traceparent: parent, tracestate: (tracestate as string).trim() }
    : { traceparent: parent };
}

export interface SpanHandle {
  /** The CloudEvents distributed-tracing extension attributes naming this span. */
  traceExtensions: { traceparent?: string; tracestate?: string };
  fail: (err: unknown) => void;
  end: () => void;
}
const NO_SPAN: SpanHandle = { traceExtensions: {}, fail: () => {}, end: () => {} };

interface SpanOptions {
  kind: SpanKind;
  attributes: Attributes;
  links?: Link[];
  /** The parent: default the active context; null for a new trace. */
  parent?: SpanContext | null;
}

/** A span that is not made active (nothing under it is traced); the caller ends it. */
function startSpan(name: string, { parent, ...options }: SpanOptions): SpanHandle {
  if (!enabled) return NO_SPAN;
  const ctx =
    parent === undefined
      ? context.active()
      : parent
        ? trace.setSpanContext(ROOT_CONTEXT, parent)
        : ROOT_CONTEXT;
  const span = tracer.startSpan(name, options, ctx);
  const traceExtensions = {};
  propagation.inject(trace.setSpan(ctx, span), traceExtensions);
  return {
    traceExtensions,
    fail: (err) => {
      if (err instanceof Error) span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR });
    },
    end: () => span.end(),
  };
}

/**
 * The produce of one purchase event (messaging semantic conventions). With tracing off, its
 * extensions are the caller's context `incoming` (incomingTraceContext), forwarded unchanged.
 */
export const producerSpan = (
  topic: string,
  messageId: string,
  incoming: () => { traceparent?: string; tracestate?: string },
): SpanHandle =>
  !enabled
    ? { ...NO_SPAN, traceExtensions: incoming() }
    : startSpan(`send ${topic}`, {
        kind: SpanKind.PRODUCER,
        attributes: {
          "messaging.system": "kafka",
          "messaging.operation.type": "send",
          "messaging.destination.name": topic,
          "messaging.message.id": messageId,
        },
      });

/**
 * One database write carrying the documents of several deliveries: a child of the first (the
 * delivery that opened the batch), linked to every one of them, so each event's trace leads to the
 * write that stored it.
 */
export function batchWriteSpan(collection: string, requests: Array<SpanContext | undefined>): SpanHandle {
  if (!enabled) return NO_SPAN;
  const links = requests.filter((r): r is SpanContext => r !== undefined).map((r) => ({ context: r }));
  return startSpan(`insertMany ${collection}`, {
    kind: SpanKind.CLIENT,
    parent: links[0]?.context ?? null,
    links,
    attributes: {
      "db.system.name": "mongodb",
      "db.operation.name": "insertMany",
      "db.collection.name": collection,
      "db.operation.batch.size": requests.length,
    },
  });
}

const header = (c: HonoContext, name: string) => c.req.header(name);

/**
 * A SERVER span per request. Its parent is the CloudEvent's own trace context (`ce-traceparent`,
 * binary mode) when the request carries an event, else the caller's `traceparent`: the event's
 * context is what continues the producer's trace across Kafka, while a transport `traceparent` next
 * to it belongs to the delivering dispatcher's own trace, and is linked.
 * Hand-written rather than @hono/otel: that one extracts only `traceparent`, and records its own
 * HTTP metrics next to ours (and loads the incubating semantic conventions at start-up).
 */
export function traceRequests(): MiddlewareHandler {
  return async (c, next) => {
    if (!enabled) return next();
    const event = header(c, "ce-traceparent");
    const transport = header(c, "traceparent");
    const carrier = event
      ? { traceparent: event, tracestate: header(c, "ce-tracestate") }
      : { traceparent: transport, tracestate: header(c, "tracestate") };
    const parent = propagation.extract(ROOT_CONTEXT, carrier);
    const links = event && transport ? linkTo(transport, header(c, "tracestate")) : [];
    const method = c.req.method;
    await tracer.startActiveSpan(
      method,
      { kind: SpanKind.SERVER, links, attributes: { "http.request.method": method, "url.path": c.req.path } },
      parent,
      async (span) => {
        try {
          await next();
        } finally {
          // After next(), routePath is the pattern of the route that answered (as in metrics.ts).
          span.updateName(`${method} ${c.req.routePath}`);
          span.setAttribute("http.route", c.req.routePath);
          span.setAttribute("http.response.status_code", c.res.status);
          if (c.error) span.recordException(c.error);
          if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        }
      },
    );
  };
}

function linkTo(traceparent: string, tracestate: string | undefined): Link[] {
  const ctx: Context = propagation.extract(ROOT_CONTEXT, { traceparent, tracestate });
  const spanContext = trace.getSpanContext(ctx);
  return spanContext ? [{ context: spanContext }] : [];
}
