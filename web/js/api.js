// The API client: the one place that knows the base URL, the time limit, the bearer token and the
// error shape every function answers with, {error, message, details?}. A 401 means the API no
// longer accepts the session's token: `onUnauthorized` ends the session; a 403 is said plainly.

export class ApiError extends Error {
  /** status 0: no answer at all (unreachable, CORS, timeout). */
  constructor(status, code, message, details) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * token(): the signed-in shopper's access token, or undefined; sent as `Authorization: Bearer` on
 * the calls that act for the shopper (buy, history), never on the public ones.
 */
export function createApi(
  baseUrl,
  { timeoutMs = 10_000, token = async () => undefined, onUnauthorized = () => {} } = {},
) {
  const where = baseUrl || "this site";

  /** Any answer as {status, data}; throws ApiError only when there is no answer. */
  async function send(path, { method = "GET", body, headers = {}, cache = "no-store" } = {}) {
    let res;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method,
        cache,
        headers: body === undefined ? headers : { "Content-Type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (err?.name === "TimeoutError") {
        throw new ApiError(0, "timeout", `The API did not answer within ${timeoutMs / 1000} s`);
      }
      throw new ApiError(0, "unreachable", `The API at ${where} cannot be reached`);
    }
    const data = await res.json().catch(() => undefined);
    return { status: res.status, ok: res.ok, data };
  }

  /** The body of a 2xx answer; any other answer throws ApiError with the API's message. */
  async function request(path, options) {
    const { status, ok, data } = await send(path, options);
    if (ok) return data;
    const said = typeof data?.message === "string" ? data.message : `The API answered HTTP ${status}`;
    const code = data?.error ?? "http_error";
    if (status === 401) {
      onUnauthorized(said);
      throw new ApiError(status, code, "You are not signed in any more: sign in again.", data?.details);
    }
    if (status === 403) throw new ApiError(status, code, `This is not allowed for your account (${said}).`);
    throw new ApiError(status, code, said, data?.details);
  }

  /** A request as the signed-in shopper. */
  async function asShopper(path, { headers = {}, ...options } = {}) {
    const bearer = await token();
    if (!bearer) throw new ApiError(401, "missing_token", "Sign in first.");
    return request(path, { ...options, headers: { ...headers, Authorization: `Bearer ${bearer}` } });
  }

  return {
    buy: (user, idempotencyKey) =>
      asShopper("/buy", { method: "POST", body: user, headers: { "Idempotency-Key": idempotencyKey } }),
    history: (userId, { limit, cursor } = {}) => {
      const query = new URLSearchParams();
      if (limit) query.set("limit", String(limit));
      if (cursor) query.set("cursor", cursor);
      return asShopper(`/getAllUserBuys/${encodeURIComponent(userId)}?${query}`);
    },
    /** The catalog may come from the HTTP cache (max-age=60) unless `fresh`. */
    items: ({ fresh = false } = {}) => request("/items", { cache: fresh ? "no-cache" : "default" }),
    /** /health answers 503 with a body when Kafka is down: that is an answer, not an error. */
    health: () => send("/health"),
  };
}
