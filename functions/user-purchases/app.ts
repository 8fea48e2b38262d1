// GET /getAllUserBuys/:user_id: the user's history and statistics, read from the management API
// (CUSTOMER_MANAGEMENT_API_URL + /purchases/:user_id) within a bounded time. Only the caller's own
// (or `me`); the caller's Authorization header goes to the management API unchanged, which applies
// the same owner rule again: this function has no token of its own and never widens the caller's.
import { UserPathSchema } from "../shared/api-schemas.ts";
import { type BaseDeps, createBaseApp } from "../shared/app.ts";
import { type Auth, ownerOf } from "../shared/auth/index.ts";
import { Errors, parseOr400 } from "../shared/errors.ts";
import { serviceInfo } from "../shared/info.ts";
import { errorFields } from "../shared/logging.ts";
import { HistoryQuerySchema } from "../shared/paging.ts";

export interface UserPurchasesDeps extends BaseDeps {
  /** Token verification (functions/shared/auth): a history read needs `purchases:read`. */
  auth: Auth;
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

  app.get("/getAllUserBuys/:user_id", deps.auth.require("purchases:read"), async (c) => {
    const { user_id: requested } = parseOr400(UserPathSchema, c.req.param(), "path");
    // No admin scope here: the public API reads only the caller's own purchases.
    const userId = ownerOf(c.var.identity, requested);
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
        headers: forwarded(c.get("requestId"), c.req.header("Authorization")),
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
    // Its 4xx answers (bad cursor, bad limit, the caller's token refused) are the caller's problem:
    // pass them on as they are, with the bearer challenge of a 401/403.
    const challenge = res.headers.get("WWW-Authenticate");
    if (res.status >= 400 && res.status < 500 && isErrorBody(body))
      return c.json(body, res.status as 400, challenge ? { "WWW-Authenticate": challenge } : {});
    // Its database or its identity provider is down: the same retryable 503, not a 502.
    if (res.status === 503 && isErrorBody(body)) return c.json(body, 503, { "Retry-After": "1" });
    if (res.status !== 200 || !isHistory(body)) {
      logger.warn("management API answered badly", { status: res.status, requestId: c.get("requestId") });
      throw Errors.badGateway(`the purchase history service answered ${res.status} with an unexpected body`);
    }
    return c.json(body);
  });
  return app;
}

/** The request id and the caller's Authorization header, unchanged (none with AUTH_MODE=off and no token). */
const forwarded = (requestId: string, authorization: string | undefined): Record<string, string> =>
  authorization === undefined
    ? { "X-Request-Id": requestId }
    : { "X-Request-Id": requestId, Authorization: authorization };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;
const isErrorBody = (x: unknown) =>
  isObject(x) && typeof x.error === "string" && typeof x.message === "string";
const isHistory = (x: unknown) => isObject(x) && Array.isArray(x.purchases) && isObject(x.stats);
