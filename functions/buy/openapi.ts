// The public API's OpenAPI document: the paths the gateway (ingress) routes to buy, items and
// user-purchases. Served by buy at GET /openapi.json, which the gateway also routes.
import * as v from "valibot";
import pkg from "../../package.json" with { type: "json" };
import {
  BuyAcceptedSchema,
  BuyHeadersSchema,
  BuyHealthSchema,
  CatalogItemSchema,
  ErrorSchema,
  HistorySchema,
  PurchaseSchema,
  ServiceInfoSchema,
  StatsSchema,
  StoredPurchaseSchema,
  UserPathSchema,
} from "../shared/api-schemas.ts";
import { buildDocument, docsPaths } from "../shared/openapi.ts";
import { HistoryQuerySchema } from "../shared/paging.ts";
import { BuyRequestSchema } from "../shared/purchase.ts";

const validation = "`validation_failed`, with `details` naming each bad field";

export const publicApiDocument = ({ maxBodyBytes }: { maxBodyBytes: number }) =>
  buildDocument({
    title: "Purchase API",
    version: pkg.version,
    description:
      "Buy a random item and read a user's purchase history with statistics. Every error is " +
      "`{error, message, details?}` JSON.",
    components: {
      Error: ErrorSchema,
      ServiceInfo: ServiceInfoSchema,
      BuyAccepted: BuyAcceptedSchema,
      Purchase: PurchaseSchema,
      CatalogItem: CatalogItemSchema,
      History: HistorySchema,
      StoredPurchase: StoredPurchaseSchema,
      Stats: StatsSchema,
      BuyHealth: BuyHealthSchema,
    },
    paths: {
      "/": {
        get: {
          summary: "What this API is and which endpoints it has",
          responses: { 200: { description: "Service metadata.", schema: ServiceInfoSchema } },
          errors: {},
        },
      },
      "/health": {
        get: {
          summary: "Whether purchases can be taken (Kafka reachable)",
          responses: {
            200: { description: "Healthy.", schema: BuyHealthSchema },
            503: { description: "Kafka is unreachable.", schema: BuyHealthSchema },
          },
          errors: {},
        },
      },
      "/buy": {
        post: {
          summary: "Buy a random catalog item",
          description:
            "Answers 202 once Kafka has acknowledged the purchase event (acks=all). With an " +
            "`Idempotency-Key`, a retry is the same purchase.",
          headers: BuyHeadersSchema,
          body: BuyRequestSchema,
          responses: { 202: { description: "Accepted and durably queued.", schema: BuyAcceptedSchema } },
          errors: {
            400: `${validation}, or \`invalid_json\`.`,
            413: `\`payload_too_large\`: the body is over ${maxBodyBytes} bytes.`,
            415: "`unsupported_media_type`: the Content-Type is not application/json.",
            503: "`kafka_unavailable`: Kafka did not acknowledge in time; retry with the same key.",
          },
        },
      },
      "/items": {
        get: {
          summary: "The catalog a purchase picks from",
          responses: { 200: { description: "Every item.", schema: v.array(CatalogItemSchema) } },
          errors: {},
        },
      },
      "/getAllUserBuys/:user_id": {
        get: {
          summary: "A user's purchases, newest first, with statistics over all of them",
          path: UserPathSchema,
          query: HistoryQuerySchema,
          responses: { 200: { description: "One page of history.", schema: HistorySchema } },
          errors: {
            400: `${validation} (user_id, limit or cursor).`,
            404: "`not_found`: no route, e.g. an empty user_id.",
            502: "`bad_gateway`: the history service is unreachable or answered badly.",
            503: "`database_unavailable`: the history service's database is down; retry.",
            504: "`gateway_timeout`: the history service did not answer in time.",
          },
        },
      },
      ...docsPaths,
    },
  });
