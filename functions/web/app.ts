// The web page as its own function: the static files of web/ (no build step), with the API base
// URL rendered into index.html at serve time so one image runs against any API: same origin
// behind the ingress, http://localhost:8000 locally.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Context } from "hono";
import { etag } from "hono/etag";
import { type BaseDeps, createBaseApp } from "../shared/app.ts";

export interface WebDeps extends BaseDeps {
  /** The folder holding index.html, styles.css and js/. */
  webRoot: string;
  /** Where the page sends API calls, without a trailing slash; "" means the page's own origin. */
  apiBaseUrl: string;
}

/** API_BASE_URL as the page needs it: "" or an absolute http(s) URL without a trailing slash. */
export function parseApiBaseUrl(raw: string | undefined): string {
  const value = (raw ?? "").trim();
  if (value === "") return "";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`invalid API_BASE_URL=${JSON.stringify(value)}: must be empty or an absolute URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`invalid API_BASE_URL=${JSON.stringify(value)}: must be an http(s) URL`);
  }
  return value.replace(/\/+$/, "");
}

/** The first folder that has an index.html: WEB_ROOT, next to a bundle, or the repository's web/. */
export function findWebRoot(candidates: (string | undefined)[]): string {
  const found = candidates.find((dir) => dir && existsSync(join(dir, "index.html")));
  if (!found)
    throw new Error(`no web root with an index.html among ${candidates.filter(Boolean).join(", ")}`);
  return found;
}

const escapeAttribute = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

export function renderIndex(html: string, apiBaseUrl: string): string {
  const meta = /<meta name="api-base-url" content="[^"]*"\s*\/?>/;
  if (!meta.test(html)) throw new Error('index.html has no <meta name="api-base-url" content="">');
  return html.replace(meta, `<meta name="api-base-url" content="${escapeAttribute(apiBaseUrl)}">`);
}

/** Scripts and styles only from this origin; API calls to this origin and the API's. */
function contentSecurityPolicy(apiBaseUrl: string): string {
  const api = apiBaseUrl ? ` ${new URL(apiBaseUrl).origin}` : "";
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${api}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function createApp(deps: WebDeps) {
  const app = createBaseApp(deps);
  const html = renderIndex(readFileSync(join(deps.webRoot, "index.html"), "utf8"), deps.apiBaseUrl);
  const csp = contentSecurityPolicy(deps.apiBaseUrl);

  app.get("/health", (c) => c.json({ status: "healthy", service: "web" }));
  // No hashed file names (no build step), so every file is revalidated: an ETag plus no-cache
  // costs a 304 when nothing changed and never mixes a stale module with new ones after a deploy.
  app.use("*", async (c, next) => {
    await next();
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-cache");
  });
  app.use("*", etag());
  app.get("/", (c) => page(c, html, csp));
  app.get("/index.html", (c) => page(c, html, csp));
  // Middleware rather than a GET "*" route: a file that is not there falls through to a plain 404.
  const files = serveStatic({ root: deps.webRoot });
  app.use("*", (c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? files(c, next) : next()));
  return app;
}

function page(c: Context, html: string, csp: string) {
  c.header("Content-Security-Policy", csp);
  return c.html(html);
}
