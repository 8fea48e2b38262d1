// The Customer Management API's OpenAPI document (cluster-local), served by the
// customer-management function itself at GET /openapi.json.
import pkg from "../../package.json" with { type: "json" };
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
import { buildDocument, docsPaths } from "../shared/openapi.ts";
import { ApiQuerySchema, HistoryQuerySchema } from "../shared/paging.ts";

const errors = (param: string) => ({
  400: `\`validation_failed\`, with \`details\` naming each bad field (${param}).`,
  503: "`database_unavailable`: the database did not answer; retry later.",
});
const notFound = "`not_found`: no route, e.g. an empty user id.";

export const managementApiDocument = () =>
  buildDocument({
    title: "Customer Management API",
    version: pkg.version,
    description:
      "Stored purchases: a user's history with statistics, the /api routes, and health " +
      "with the KafkaSource consumer group's lag. Every error is `{error, message, details?}` JSON.",
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
          path: UserPathSchema,
          query: HistoryQuerySchema,
          responses: { 200: { description: "One page of history.", schema: HistorySchema } },
          errors: { ...errors("user_id, limit or cursor"), 404: notFound },
        },
      },
      "/api/purchases/:userId": {
        get: {
          summary: "A user's purchases, newest first, without statistics or paging",
          path: ApiUserPathSchema,
          query: ApiQuerySchema,
          responses: { 200: { description: "The purchases.", schema: UserPurchasesSchema } },
          errors: { ...errors("userId or limit"), 404: notFound },
        },
      },
      "/api/purchases": {
        get: {
          summary: "Stored purchases in storage order, for debugging",
          query: ApiQuerySchema,
          responses: { 200: { description: "The purchases.", schema: AllPurchasesSchema } },
          errors: errors("limit"),
        },
      },
      ...docsPaths,
    },
  });
