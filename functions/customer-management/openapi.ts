// The Customer Management API's OpenAPI document (cluster-local), served by the
// customer-management function itself at GET /openapi.json.
import {
  AllPurchasesSchema,
  ApiUserPathSchema,
  ErrorSchema,
  HistorySchema,
  ManagementHealthSchema,
  ServiceInfoSchema,
  StatsSchema,
  StoredPurchaseSchema,
  UserPathSchema,
  UserPurchasesSchema,
} from "../shared/api-schemas.ts";
import { VERSION } from "../shared/info.ts";
import { buildDocument, docsPaths } from "../shared/openapi.ts";
import { ApiQuerySchema, HistoryQuerySchema } from "../shared/paging.ts";

const errors = (fields: string) => ({
  validation_failed: `The fields: ${fields}.`,
  database_unavailable: true as const,
});
const notFound = "E.g. an empty user id.";
const owner = "Another user's id without `purchases:admin`.";
const ownerRule =
  "The caller's own purchases (its token's user id, or `me`), or any user's with `purchases:admin`.";

export const managementApiDocument = () =>
  buildDocument({
    title: "Customer Management API",
    version: VERSION,
    description:
      "Stored purchases: a user's history with statistics, the /api routes, and health " +
      "with the KafkaSource consumer group's lag. Every error is `{error, message, details?}` JSON. " +
      "Reads need a bearer access token (`bearerAuth`): a user's own, as user-purchases forwards it, " +
      "or a service token with `purchases:admin`.",
    components: {
      Error: ErrorSchema,
      ServiceInfo: ServiceInfoSchema,
      History: HistorySchema,
      StoredPurchase: StoredPurchaseSchema,
      Stats: StatsSchema,
      UserPurchases: UserPurchasesSchema,
      AllPurchases: AllPurchasesSchema,
      ManagementHealth: ManagementHealthSchema,
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
          summary: "Database reachability and the consumer group's state and lag",
          responses: {
            200: { description: "Healthy.", schema: ManagementHealthSchema },
            503: { description: "The database is unreachable.", schema: ManagementHealthSchema },
          },
          errors: {},
        },
      },
      "/purchases/:user_id": {
        get: {
          summary: "A user's purchases, newest first, with statistics over all of them",
          description: ownerRule,
          scopes: ["purchases:read"],
          path: UserPathSchema,
          query: HistoryQuerySchema,
          responses: { 200: { description: "One page of history.", schema: HistorySchema } },
          errors: { ...errors("user_id, limit, cursor"), forbidden: owner, not_found: notFound },
        },
      },
      "/api/purchases/:userId": {
        get: {
          summary: "A user's purchases, newest first, without statistics or paging",
          description: ownerRule,
          scopes: ["purchases:read"],
          path: ApiUserPathSchema,
          query: ApiQuerySchema,
          responses: { 200: { description: "The purchases.", schema: UserPurchasesSchema } },
          errors: { ...errors("userId, limit"), forbidden: owner, not_found: notFound },
        },
      },
      "/api/purchases": {
        get: {
          summary: "Stored purchases in storage order, for debugging",
          description: "The whole shop's: a service token with `purchases:admin`.",
          scopes: ["purchases:admin"],
          query: ApiQuerySchema,
          responses: { 200: { description: "The purchases.", schema: AllPurchasesSchema } },
          errors: errors("limit"),
        },
      },
      ...docsPaths,
    },
  });
