// The gateway's forwarding, as an ingress proxy does it: the request body is read first (bounded,
// like proxy-body-size; nginx buffers request bodies by default too), hop-by-hop headers and
// `Expect` are not passed on (Node's server has already answered `100 Continue`; nginx and Envoy
// answer it themselves as well), and the request goes to the function over a keep-alive pool of at
// most `maxSockets` connections per function.
// node:http by hand rather than hono/proxy: hono/proxy is fetch (undici), which throws on an
// `Expect` header (every curl upload over 1 KiB: a 503 that never clears) and opened a connection
// per request under a burst from cold (4.5-6.3 s per request at 900/s); see docs/reliability.md#what-holds-and-why.
import http, { type IncomingMessage, type ServerResponse } from "node:http";

// RFC 9110 7.6.1 and the headers that only describe this connection or this hop.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  "host",
]);

export interface ForwardOptions {
  agent: http.Agent;
  /** Longest wait for the function's answer (ingress-nginx proxy-read-timeout: 60 s). */
  timeoutMs: number;
}

export type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: "too_large" | "aborted" };

/** A keep-alive pool for the functions; idle connections close before the function's 5 s keep-alive. */
export function createUpstreamAgent(maxSockets = 64) {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, timeout: 4000 });
}

/** Reads the whole request body (chunked or not), at most `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > maxBytes) return resolve({ ok: false, reason: "too_large" });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners("data");
        req.pause();
        resolve({ ok: false, reason: "too_large" });
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve({ ok: true, body: Buffer.concat(chunks) }));
    req.once("aborted", () => resolve({ ok: false, reason: "aborted" }));
    req.once("error", () => resolve({ ok: false, reason: "aborted" }));
  });
}

export type ForwardError = { kind: "unreachable" | "timeout"; message: string };

/**
 * Sends `body` to `target` with the client's method and end-to-end headers and streams the answer
 * back on `res`. Resolves with an error only when nothing was sent to the client yet.
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: URL,
  body: Buffer,
  opts: ForwardOptions,
): Promise<ForwardError | undefined> {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  const connectionHeaders = String(req.headers.connection ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase());
  for (const name of connectionHeaders) if (name) delete headers[name];
  headers.host = target.host;
  headers["x-forwarded-for"] = [req.headers["x-forwarded-for"], req.socket.remoteAddress]
    .filter(Boolean)
    .join(", ");
  headers["x-forwarded-host"] = req.headers.host ?? "";
  headers["x-forwarded-proto"] = "http";
  if (body.length > 0 || !["GET", "HEAD", "OPTIONS", "DELETE", "TRACE"].includes(req.method ?? "")) {
    headers["content-length"] = body.length;
  }

  const attempt = (retried: boolean): Promise<ForwardError | undefined> =>
    new Promise((resolve) => {
      const upstream = http.request(target, { method: req.method, headers, agent: opts.agent });
      let answered = false;
      upstream.setTimeout(opts.timeoutMs, () =>
        upstream.destroy(Object.assign(new Error("no answer in time"), { code: "ETIMEDOUT" })),
      );
      upstream.on("response", (up) => {
        answered = true;
        const out: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(up.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
        }
        res.writeHead(up.statusCode ?? 502, up.statusMessage, out);
        up.pipe(res);
        up.once("end", () => resolve(undefined));
        up.once("error", () => {
          res.destroy();
          resolve(undefined);
        });
      });
      upstream.on("error", (err: NodeJS.ErrnoException) => {
        if (answered) return;
        // A kept-alive connection that the function closed just as it was reused: the request
        // did not reach it. Node's docs give this retry (http.ClientRequest reusedSocket).
        if (!retried && upstream.reusedSocket && err.code === "ECONNRESET") {
          resolve(attempt(true));
          return;
        }
        resolve({ kind: err.code === "ETIMEDOUT" ? "timeout" : "unreachable", message: err.message });
      });
      // The client went away: stop the upstream request too.
      res.once("close", () => {
        if (!res.writableFinished) upstream.destroy();
        if (answered) resolve(undefined);
      });
      upstream.end(body);
    });
  return attempt(false);
}

/**
 * Opens `connections` keep-alive connections to each base URL (GET /livez, which every function
 * answers), so the first burst of traffic finds them open. Returns the bases that did not answer.
 */
export async function warm(bases: string[], agent: http.Agent, connections: number): Promise<string[]> {
  const once = (base: string) =>
    new Promise<boolean>((resolve) => {
      const req = http.get(new URL("/livez", base), { agent, timeout: 2000 }, (res) => {
        res.resume();
        res.once("end", () => resolve(true));
      });
      req.once("timeout", () => req.destroy());
      req.once("error", () => resolve(false));
    });
  const unique = [...new Set(bases)];
  const results = await Promise.all(
    unique.map(async (base) =>
      (await Promise.all(Array.from({ length: connections }, () => once(base)))).every(Boolean),
    ),
  );
  return unique.filter((_, i) => !results[i]);
}
