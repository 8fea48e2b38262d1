import type { IncomingMessage } from "node:http";
import type { Context } from "hono";

/**
 * A request header as `c.req.header(name)` gives it (case-insensitive; repeated fields joined with
 * ", " as Fetch `Headers` does), read from Node's request when @hono/node-server serves it. Asking
 * Hono makes @hono/node-server build undici's Fetch `Headers` of the whole request, ~5% of /buy's
 * CPU (`npm run bench -- --only ingest --cpu-prof`). Node's own `incoming.headers` is no
 * substitute: it keeps only the first of a repeated Content-Type (and other fields), where Fetch
 * joins them. Without a Node request (app.request in tests) Hono's is used.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (!incoming) return c.req.header(name);
  const raw = incoming.rawHeaders;
  const lower = name.toLowerCase();
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i] as string;
    if (key.length !== name.length || key.toLowerCase() !== lower) continue;
    const v = raw[i + 1] as string;
    value = value === undefined ? v : `${value}, ${v}`;
  }
  return value;
}
