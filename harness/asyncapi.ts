// The AsyncAPI 3.0 document of the event stream, the other half of the contract next to the OpenAPI
// documents: topic `purchases` (the purchase CloudEvent that buy produces and the KafkaSource
// delivers to purchase-persist) and `purchases-dlq` (what the KafkaSource dead-letters). Generated
// from the same valibot schemas (functions/shared/api-schemas.ts, ./asyncapi-schemas.ts) as JSON Schema draft-07,
// the base of AsyncAPI's default schema format. `npm run asyncapi` writes docs/asyncapi.json.
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { PurchaseSchema } from "../functions/shared/api-schemas.ts";
import { unicodePatterns } from "../functions/shared/openapi.ts";
import { PURCHASE_EVENT_TYPE } from "../functions/shared/purchase.ts";
import { DeadLetterHeadersSchema, PurchaseHeadersSchema, RecordKeySchema } from "./asyncapi-schemas.ts";

const KAFKA_BINDING = "0.5.0";

function schema(s: v.GenericSchema) {
  const { $schema: _, ...rest } = toJsonSchema(s, { target: "draft-07", overrideAction: unicodePatterns });
  return rest;
}

const example = {
  headers: {
    ce_specversion: "1.0",
    ce_id: "3f1c2b8e-4a5d-4e7f-9a0b-1c2d3e4f5a6b",
    ce_source: "/purchases/functions/buy",
    ce_type: PURCHASE_EVENT_TYPE,
    ce_time: "2026-11-02T10:15:00.000Z",
    ce_partitionkey: "alice",
    "content-type": "application/json",
    ce_datacontenttype: "application/json",
  },
  payload: {
    id: "3f1c2b8e-4a5d-4e7f-9a0b-1c2d3e4f5a6b",
    username: "alice",
    user_id: "alice",
    item_name: "Laptop",
    price: 999.99,
    timestamp: "2026-11-02T10:15:00.000Z",
  },
};

export function asyncApiDocument(version = "0.1.0") {
  const ref = (path: string) => ({ $ref: `#/${path}` });
  return {
    asyncapi: "3.0.0",
    info: {
      title: "Purchase events",
      version,
      description:
        "The Kafka topics of the purchase system. Records are CloudEvents in Kafka binary content mode: attributes in `ce_*` headers, the data as the value, keyed by user_id.",
    },
    defaultContentType: "application/json",
    servers: {
      cluster: {
        host: "purchases-kafka-bootstrap.kafka:9092",
        protocol: "kafka",
        description: "Strimzi's bootstrap Service (knative/base/config.yaml).",
      },
      local: { host: "127.0.0.1:9092", protocol: "kafka", description: "npm start's broker." },
    },
    channels: {
      purchases: {
        address: "purchases",
        description: "Purchases accepted by POST /buy; 3 partitions, ordered per user.",
        messages: { purchase: ref("components/messages/purchase") },
        bindings: { kafka: { topic: "purchases", partitions: 3, bindingVersion: KAFKA_BINDING } },
      },
      purchasesDlq: {
        address: "purchases-dlq",
        description: "Events purchase-persist refused for good (400, 413, 422) or after the retries.",
        messages: { deadLetter: ref("components/messages/deadLetter") },
        bindings: { kafka: { topic: "purchases-dlq", partitions: 1, bindingVersion: KAFKA_BINDING } },
      },
    },
    operations: {
      producePurchase: {
        action: "send",
        channel: ref("channels/purchases"),
        summary: "buy produces one purchase per accepted POST /buy (acks=all).",
        messages: [ref("channels/purchases/messages/purchase")],
      },
      deliverPurchase: {
        action: "receive",
        channel: ref("channels/purchases"),
        summary: "The KafkaSource (consumer group customer-management-group) POSTs each to purchase-persist.",
        messages: [ref("channels/purchases/messages/purchase")],
        bindings: {
          kafka: {
            groupId: { type: "string", enum: ["customer-management-group"] },
            bindingVersion: KAFKA_BINDING,
          },
        },
      },
      deadLetter: {
        action: "send",
        channel: ref("channels/purchasesDlq"),
        summary: "The KafkaSource's dead-letter sink (a KafkaSink) writes the failed event.",
        messages: [ref("channels/purchasesDlq/messages/deadLetter")],
      },
    },
    components: {
      messages: {
        purchase: {
          name: "purchase",
          title: "Purchase created",
          contentType: "application/json",
          headers: schema(PurchaseHeadersSchema),
          payload: schema(PurchaseSchema),
          bindings: { kafka: { key: schema(RecordKeySchema), bindingVersion: KAFKA_BINDING } },
          examples: [{ name: "purchase", ...example }],
        },
        deadLetter: {
          name: "deadLetter",
          title: "Dead letter",
          summary:
            "The original record as produced (key, value bytes and headers, unchanged), then the failed event's attributes it lacks as ce_* headers, Knative's knativeerror* extensions and knativekafkapartition/knativekafkaoffset.",
          headers: schema(DeadLetterHeadersSchema),
          payload: { description: "The original record's value, unchanged (any bytes)." },
          bindings: { kafka: { key: schema(RecordKeySchema), bindingVersion: KAFKA_BINDING } },
        },
      },
    },
  };
}
