// The API client: the one place that knows the base URL, the time limit and the error shape every
// function answers with, {error, message, details?}.

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

export function createApi(baseUrl, { timeoutMs = 10_000 } = {}) {
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
    const message = typeof data?.message === "string" ? data.message : `The API answered HTTP ${status}`;
    throw new ApiError(status, data?.error ?? "http_error", message, data?.details);
  }

  return {
    buy: (user, idempotencyKey) =>
      request("/buy", { method: "POST", body: user, headers: { "Idempotency-Key": idempotencyKey } }),
    history: (userId, { limit, cursor } = {}) => {
      const query = new URLSearchParams();
      if (limit) query.set("limit", String(limit));
      if (cursor) query.set("cursor", cursor);
      return request(`/getAllUserBuys/${encodeURIComponent(userId)}?${query}`);
    },
    /** The catalog may come from the HTTP cache (max-age=60) unless `fresh`. */
    items: ({ fresh = false } = {}) => request("/items", { cache: fresh ? "no-cache" : "default" }),
    /** /health answers 503 with a body when Kafka is down: that is an answer, not an error. */
    health: () => send("/health"),
  };
}
