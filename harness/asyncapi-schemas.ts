// The Kafka records of the two topics as valibot schemas: the purchase CloudEvent in Kafka binary
// content mode (CloudEvents Kafka protocol binding §3.2: attributes as ce_* headers, the data as the
// value, datacontenttype as content-type) and the dead letters the KafkaSource writes (the same
// mode, plus Knative's knativeerror* extensions). ./asyncapi.ts turns them into AsyncAPI 3.0.
import * as v from "valibot";
import { PURCHASE_EVENT_TYPE, UserIdSchema } from "../functions/shared/purchase.ts";

const text = (description: string) => v.pipe(v.string(), v.minLength(1), v.description(description));

// W3C Trace Context, carried as the CloudEvents distributed-tracing extension when present.
const tracing = {
  ce_traceparent: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/),
      v.description("W3C traceparent (CloudEvents distributed-tracing extension)."),
    ),
  ),
  ce_tracestate: v.optional(v.pipe(v.string(), v.description("W3C tracestate."))),
};

export const PurchaseHeadersSchema = v.strictObject({
  ce_specversion: v.pipe(v.literal("1.0"), v.description("CloudEvents spec version.")),
  ce_id: text("The purchase id (the value's `id`): the event's identity with ce_source."),
  ce_source: text("URI-reference of the producer, e.g. `/purchases/functions/buy`."),
  ce_type: v.pipe(v.literal(PURCHASE_EVENT_TYPE), v.description("The purchase event type.")),
  ce_time: v.pipe(
    v.string(),
    v.isoTimestamp(),
    v.description("The purchase time (the value's `timestamp`)."),
  ),
  ce_partitionkey: v.pipe(
    UserIdSchema,
    v.description("Partitioning extension: the user_id, also the record key."),
  ),
  "content-type": v.pipe(
    v.literal("application/json"),
    v.description("The value's media type (datacontenttype)."),
  ),
  // The cloudevents SDK's Kafka binding writes datacontenttype as a ce_ header too.
  ce_datacontenttype: v.pipe(
    v.literal("application/json"),
    v.description("The same, as an attribute header."),
  ),
  ...tracing,
});

export const DeadLetterHeadersSchema = v.objectWithRest(
  {
    ce_specversion: v.literal("1.0"),
    ce_id: text("The failed event's id."),
    ce_source: text("The failed event's source (for a record that was no CloudEvent, the KafkaSource's)."),
    ce_type: text("The failed event's type (`dev.knative.kafka.event` for a record that was no CloudEvent)."),
    ce_knativeerrordest: v.pipe(
      v.string(),
      v.url(),
      v.description("The sink that refused the event (purchase-persist's URL)."),
    ),
    ce_knativeerrorcode: v.optional(
      v.pipe(v.string(), v.regex(/^[1-5]\d\d$/), v.description("The HTTP status the sink answered last.")),
    ),
    ce_knativeerrordata: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^[A-Za-z0-9+/]*={0,2}$/),
        v.maxLength(1368),
        v.description(
          "Base64 of the start (at most 1024 bytes) of the sink's last response body; without a response, of the reason, naming the record's topic/partition@offset.",
        ),
      ),
    ),
  },
  v.pipe(
    v.string(),
    v.description("The failed event's other attributes (ce_*) and content-type, unchanged."),
  ),
);

/** The record key of both topics: the user_id (for a dead letter, the original record's key). */
export const RecordKeySchema = UserIdSchema;
