// GET /getAllUserBuys/:user_id: the user's history and statistics, read from the management API
// (CUSTOMER_MANAGEMENT_API_URL + /purchases/:user_id) within a bounded time.
import { UserPathSchema } from "../shared/api-schemas.ts";
import { type BaseDeps, createBaseApp } from "../shared/app.ts";
import { Errors, parseOr400 } from "../shared/errors.ts";
import { serviceInfo } from "../shared/info.ts";
import { errorFields } from "../shared/logging.ts";
import { HistoryQuerySchema } from "../shared/paging.ts";

export interface UserPurchasesDeps extends BaseDeps {
  managementUrl: string;
  timeoutMs: number;
}

export function createApp(deps: UserPurchasesDeps) {
  const { managementUrl, timeoutMs, logger } = deps;
  const app = createBaseApp(deps);
  app.get("/", (c) =>
    c.json(
      serviceInfo("user-purchases", "A user's purchase history with statistics", [
        "GET /getAllUserBuys/:user_id",
      ]),
    ),
  );
  app.get("/health", (c) => c.json({ status: "healthy", service: "user-purchases" }));

  app.get("/getAllUserBuys/:user_id", async (c) => {
    const { user_id: userId } = parseOr400(UserPathSchema, c.req.param(), "path");
    const query = parseOr400(HistoryQuerySchema, c.req.query(), "query");
    const url = new URL(
      `purchases/${encodeURIComponent(userId)}`,
      managementUrl.endsWith("/") ? managementUrl : `${managementUrl}/`,
    );
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));

    let res: Response;
    try {
      res = await fetch(url, {
        signal: AbortSignal.timeout(timeoutMs),
        headers: { "X-Request-Id": c.get("requestId") },
      });
    } catch (err) {
      logger.warn("management API call failed", { ...errorFields(err), requestId: c.get("requestId") });
      if ((err as Error).name === "TimeoutError") {
        throw Errors.gatewayTimeout(`the purchase history service did not answer within ${timeoutMs} ms`);
      }
      throw Errors.badGateway("the purchase history service is unreachable");
    }
    const text = await res.text().catch(() => "");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    // Its 4xx answers (bad cursor, bad limit) are the caller's problem: pass them on as they are.
    if (res.status >= 400 && res.status < 500 && isErrorBody(body)) return c.json(body, res.status as 400);
    // Its database is down: the same retryable 503, not a 502.
    if (res.status === 503 && isErrorBody(body)) return c.json(body, 503, { "Retry-After": "1" });
    if (res.status !== 200 || !isHistory(body)) {
      logger.warn("management API answered badly", { status: res.status, requestId: c.get("requestId") });
      throw Errors.badGateway(`the purchase history service answered ${res.status} with an unexpected body`);
    }
    return c.json(body);
  });
  return app;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;
const isErrorBody = (x: unknown) =>
  isObject(x) && typeof x.error === "string" && typeof x.message === "string";
const isHistory = (x: unknown) => isObject(x) && Array.isArray(x.purchases) && isObject(x.stats);
