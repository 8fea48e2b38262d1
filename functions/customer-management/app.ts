// The Customer Management API (cluster-local): purchase history with statistics, the /api routes
// (camelCase userId, a limit only), and health with the consumer group's state and lag.
import type { Collection, MongoClient } from "mongodb";
import type * as v from "valibot";
import {
  type AllPurchasesSchema,
  ApiUserPathSchema,
  type History,
  type ManagementHealthSchema,
  UserPathSchema,
  type UserPurchasesSchema,
} from "../shared/api-schemas.ts";
import { type BaseDeps, createBaseApp } from "../shared/app.ts";
import { type Auth, ownerOf } from "../shared/auth/index.ts";
import { onError, parseOr400 } from "../shared/errors.ts";
import { cachedProbe } from "../shared/health.ts";
import { serviceInfo } from "../shared/info.ts";
import { ping } from "../shared/mongo.ts";
import { serveDocs } from "../shared/openapi.ts";
import { ApiQuerySchema, decodeCursor, HistoryQuerySchema } from "../shared/paging.ts";
import { type PurchaseDoc, toApi } from "../shared/purchase.ts";
import { storeCall, withStoreFailures } from "../shared/store-failure.ts";
import { userPage, userStats } from "./history-queries.ts";
import type { GroupState } from "./lag.ts";
import { managementApiDocument } from "./openapi.ts";

/** The scope of a service token that may read any user's purchases and the whole shop's. */
export const ADMIN_SCOPE = "purchases:admin";

export interface CustomerManagementDeps extends BaseDeps {
  /**
   * Token verification (functions/shared/auth): a user's own purchases need `purchases:read` (the
   * token user-purchases forwards), another user's and the whole shop's `purchases:admin`.
   */
  auth: Auth;
  client: MongoClient;
  collection: Collection<PurchaseDoc>;
  timeoutMs: number;
  /** The KafkaSource consumer group's state and total lag; undefined when Kafka is unreachable. */
  groupState: () => Promise<GroupState | undefined>;
}

export function createApp(deps: CustomerManagementDeps) {
  const { collection, auth } = deps;
  const dbUp = cachedProbe(() => ping(deps.client, Math.min(deps.timeoutMs, 2000)));
  const app = createBaseApp(deps);
  // A database that is down, hung or failing over is a 503 the caller may retry, never a 500, and
  // within timeoutMs: before user-purchases gives up on us (UPSTREAM_TIMEOUT_MS is longer), so
  // that its caller gets the retryable 503 too, not a 504.
  app.onError(withStoreFailures(onError(deps.logger)));
  const db = <T>(work: (signal: AbortSignal) => Promise<T>) => storeCall(work, deps.timeoutMs);

  app.get("/", (c) =>
    c.json(
      serviceInfo("customer-management", "Stored purchases: history with statistics", [
        "GET /purchases/:user_id",
        "GET /api/purchases/:userId",
        "GET /api/purchases",
        "GET /health",
      ]),
    ),
  );

  app.get("/health", async (c) => {
    const [mongoOk, group] = await Promise.all([dbUp(), deps.groupState()]);
    const body: v.InferOutput<typeof ManagementHealthSchema> = {
      status: mongoOk ? "healthy" : "unhealthy",
      service: "customer-management",
      mongodb: mongoOk ? "connected" : "unreachable",
      kafka: group?.state ?? "unreachable",
      lag: group?.lag ?? null,
    };
    return c.json(body, mongoOk ? 200 : 503);
  });

  app.get("/purchases/:user_id", auth.require("purchases:read"), async (c) => {
    const { user_id: requested } = parseOr400(UserPathSchema, c.req.param(), "path");
    const userId = ownerOf(c.var.identity, requested, { adminScope: ADMIN_SCOPE });
    const query = parseOr400(HistoryQuerySchema, c.req.query(), "query");
    // The schema admits only the cursor's pattern, and every such string is a position.
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const [page, stats] = await db((signal) =>
      Promise.all([
        userPage(collection, userId, query.limit, after, signal),
        userStats(collection, userId, signal),
      ]),
    );
    const body: History = {
      user_id: userId,
      purchases: page.purchases,
      next_cursor: page.next_cursor,
      stats,
    };
    return c.json(body);
  });

  app.get("/api/purchases/:userId", auth.require("purchases:read"), async (c) => {
    const { userId: requested } = parseOr400(ApiUserPathSchema, c.req.param(), "path");
    const userId = ownerOf(c.var.identity, requested, { adminScope: ADMIN_SCOPE });
    const { limit } = parseOr400(ApiQuerySchema, c.req.query(), "query");
    const page = await db((signal) => userPage(collection, userId, limit, undefined, signal));
    const body: v.InferOutput<typeof UserPurchasesSchema> = { purchases: page.purchases, userId };
    return c.json(body);
  });

  app.get("/api/purchases", auth.require(ADMIN_SCOPE), async (c) => {
    const { limit } = parseOr400(ApiQuerySchema, c.req.query(), "query");
    const docs = await db((signal) => collection.find({}, { limit, signal }).toArray());
    const body: v.InferOutput<typeof AllPurchasesSchema> = { purchases: docs.map(toApi), count: docs.length };
    return c.json(body);
  });
  serveDocs(app, managementApiDocument());
  return app;
}
