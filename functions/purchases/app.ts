// The management read API (the seeds' "Customer Management API"): purchase history with
// statistics, the seed's /api routes, and health with the consumer group's state and lag.
import type { Collection, MongoClient } from "mongodb";
import * as v from "valibot";
import { type BaseDeps, createBaseApp } from "../shared/app.ts";
import { Errors, parseOr400 } from "../shared/errors.ts";
import { cachedProbe } from "../shared/health.ts";
import { decodeCursor, HistoryQuerySchema } from "../shared/history.ts";
import { serviceInfo } from "../shared/info.ts";
import { isUnavailable, ping } from "../shared/mongo.ts";
import { type PurchaseDoc, toApi, UserIdSchema } from "../shared/purchase.ts";
import { userPage, userStats } from "./history.ts";
import type { GroupState } from "./lag.ts";

export interface PurchasesDeps extends BaseDeps {
  client: MongoClient;
  collection: Collection<PurchaseDoc>;
  timeoutMs: number;
  /** The KafkaSource consumer group's state and total lag; undefined when Kafka is unreachable. */
  groupState: () => Promise<GroupState | undefined>;
}

const ApiLimit = v.object({
  limit: v.pipe(
    v.optional(v.string(), "100"),
    v.regex(/^\d{1,7}$/, "must be a whole number from 1 to 1000"),
    v.transform(Number),
    v.minValue(1, "must be a whole number from 1 to 1000"),
    v.maxValue(1000, "must be a whole number from 1 to 1000"),
  ),
});

export function createApp(deps: PurchasesDeps) {
  const { collection } = deps;
  const dbUp = cachedProbe(() => ping(deps.client, Math.min(deps.timeoutMs, 2000)));
  const app = createBaseApp(deps);

  // A database that is down is a 503 the caller may retry, never a 500.
  const db = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (isUnavailable(err)) throw Errors.databaseUnavailable("the database is unreachable; retry later");
      throw err;
    }
  };

  app.get("/", (c) =>
    c.json(
      serviceInfo("customer-management-api", "Stored purchases: history with statistics", [
        "GET /purchases/:user_id",
        "GET /api/purchases/:userId",
        "GET /api/purchases",
        "GET /health",
      ]),
    ),
  );

  app.get("/health", async (c) => {
    const [mongoOk, group] = await Promise.all([dbUp(), deps.groupState()]);
    const body = {
      status: mongoOk ? "healthy" : "unhealthy",
      service: "customer-management-api",
      mongodb: mongoOk ? "connected" : "unreachable",
      kafka: group?.state ?? "unreachable",
      lag: group?.lag ?? null,
    };
    return c.json(body, mongoOk ? 200 : 503);
  });

  app.get("/purchases/:user_id", async (c) => {
    const userId = parseOr400(UserIdSchema, c.req.param("user_id"), "user_id");
    const query = parseOr400(HistoryQuerySchema, c.req.query(), "query");
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) {
      throw Errors.validation("query: cursor: must be a cursor from next_cursor", [
        { field: "cursor", message: "must be a cursor from next_cursor" },
      ]);
    }
    const [page, stats] = await db(() =>
      Promise.all([userPage(collection, userId, query.limit, after), userStats(collection, userId)]),
    );
    return c.json({ user_id: userId, purchases: page.purchases, next_cursor: page.next_cursor, stats });
  });

  app.get("/api/purchases/:userId", async (c) => {
    const userId = parseOr400(UserIdSchema, c.req.param("userId"), "userId");
    const { limit } = parseOr400(ApiLimit, c.req.query(), "query");
    const page = await db(() => userPage(collection, userId, limit));
    return c.json({ purchases: page.purchases, userId });
  });

  app.get("/api/purchases", async (c) => {
    const { limit } = parseOr400(ApiLimit, c.req.query(), "query");
    const docs = await db(() => collection.find({}, { limit }).toArray());
    return c.json({ purchases: docs.map(toApi), count: docs.length });
  });
  return app;
}
