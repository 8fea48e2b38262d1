// The public API's OpenAPI document: the paths the gateway (ingress) routes to buy, items and
// user-purchases. Served by buy at GET /openapi.json, which the gateway also routes.
import * as v from "valibot";
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
import { VERSION } from "../shared/info.ts";
import { buildDocument, docsPaths } from "../shared/openapi.ts";
import { HistoryQuerySchema } from "../shared/paging.ts";
import { AuthenticatedBuyRequestSchema } from "../shared/purchase.ts";

export const publicApiDocument = ({ maxBodyBytes }: { maxBodyBytes: number }) =>
  buildDocument({
    title: "Purchase API",
    version: VERSION,
    description:
      "Buy a random item and read a user's purchase history with statistics. Every error is " +
      "`{error, message, details?}` JSON. Buying and reading need a bearer access token " +
      "(`bearerAuth`): the buyer and the reader are the token's user.",
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
            "`Idempotency-Key`, a retry is the same purchase. 503 means the purchase was not made; " +
            "504 `outcome_unknown` that it may have been: retry with the same key. The buyer " +
            "(`user_id`, `username`) is the token's user; the body may name only them.",
          scopes: ["purchases:write"],
          headers: BuyHeadersSchema,
          body: AuthenticatedBuyRequestSchema,
          responses: { 202: { description: "Accepted and durably queued.", schema: BuyAcceptedSchema } },
          errors: {
            validation_failed: true,
            invalid_json: true,
            forbidden: "The body's `user_id` names another user.",
            payload_too_large: `The limit is ${maxBodyBytes} bytes.`,
            unsupported_media_type: "It must be application/json.",
            kafka_unavailable: "The purchase was certainly not made.",
            outcome_unknown: "The purchase may have been made; the message names its id.",
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
          description: "Only the caller's own: `user_id` is the token's user id, or `me`.",
          scopes: ["purchases:read"],
          path: UserPathSchema,
          query: HistoryQuerySchema,
          responses: { 200: { description: "One page of history.", schema: HistorySchema } },
          errors: {
            validation_failed: "The fields: user_id, limit, cursor.",
            forbidden: "`user_id` is not the caller's.",
            not_found: "E.g. an empty user_id.",
            bad_gateway: "Here the purchase history service.",
            database_unavailable: "The purchase history service's database, passed on.",
            gateway_timeout: "Here the purchase history service.",
          },
        },
      },
      ...docsPaths,
    },
  });
