// The web page as its own function: the static files of web/ (no build step), with the API base
// URL and the sign-in settings (issuer, client id) rendered into index.html at serve time so one
// image runs against any API and issuer: same origin behind the ingress, http://localhost:8000
// locally. The sign-in library comes from node_modules as /vendor/ (./vendor.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Context } from "hono";
import { etag } from "hono/etag";
import * as v from "valibot";
import { type BaseDeps, createBaseApp } from "../shared/app.ts";
import { parseEnv } from "../shared/config.ts";
import { configSchema } from "./config.ts";

export interface WebDeps extends BaseDeps {
  /** The folder holding index.html, styles.css and js/. */
  webRoot: string;
  /** Where the page sends API calls, without a trailing slash; "" means the page's own origin. */
  apiBaseUrl: string;
  /** Where the page signs in: the issuer as the browser reaches it, and the page's public client. */
  signIn: { issuer: string; clientId: string };
  /** /vendor/<name> -> the file on disk (./vendor.ts). */
  vendorFiles: Record<string, string>;
}

/** What the server writes into index.html's meta tags. */
export interface PageSettings {
  apiBaseUrl: string;
  issuer: string;
  clientId: string;
}

/** API_BASE_URL as the page needs it: "" or an absolute http(s) URL without a trailing slash. */
export const parseApiBaseUrl = (raw: string | undefined): string =>
  parseEnv(v.object({ API_BASE_URL: configSchema.entries.API_BASE_URL }), { API_BASE_URL: raw }).API_BASE_URL;

/** The first folder that has an index.html: WEB_ROOT, next to a bundle, or the repository's web/. */
export function findWebRoot(candidates: (string | undefined)[]): string {
  const found = candidates.find((dir) => dir && existsSync(join(dir, "index.html")));
  if (!found)
    throw new Error(`no web root with an index.html among ${candidates.filter(Boolean).join(", ")}`);
  return found;
}

const escapeAttribute = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

const META: Record<keyof PageSettings, string> = {
  apiBaseUrl: "api-base-url",
  issuer: "oidc-issuer",
  clientId: "oidc-client-id",
};

export function renderIndex(html: string, settings: PageSettings): string {
  let out = html;
  for (const [key, name] of Object.entries(META) as [keyof PageSettings, string][]) {
    const meta = new RegExp(`<meta name="${name}" content="[^"]*"\\s*/?>`);
    if (!meta.test(out)) throw new Error(`index.html has no <meta name="${name}" content="">`);
    out = out.replace(meta, `<meta name="${name}" content="${escapeAttribute(settings[key])}">`);
  }
  return out;
}

/**
 * Scripts and styles only from this origin; calls to this origin, the API's and the issuer's (its
 * discovery document, token endpoint and keys). The sign-in itself is a top-level navigation, which
 * connect-src does not govern; no frame-src: the issuer's check-session iframe is not used.
 */
export function contentSecurityPolicy(apiBaseUrl: string, issuer: string): string {
  const origins = new Set(["'self'"]);
  if (apiBaseUrl) origins.add(new URL(apiBaseUrl).origin);
  origins.add(new URL(issuer).origin);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${[...origins].join(" ")}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function createApp(deps: WebDeps) {
  const app = createBaseApp(deps);
  const html = renderIndex(readFileSync(join(deps.webRoot, "index.html"), "utf8"), {
    apiBaseUrl: deps.apiBaseUrl,
    ...deps.signIn,
  });
  const csp = contentSecurityPolicy(deps.apiBaseUrl, deps.signIn.issuer);
  // Read once at start: a missing file stops the start, not the first sign-in.
  const vendor = new Map(
    Object.entries(deps.vendorFiles).map(([name, path]) => [`/vendor/${name}`, readFileSync(path)]),
  );

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
  app.get("/vendor/:name", (c, next) => {
    const body = vendor.get(c.req.path);
    if (!body) return next();
    c.header("Content-Type", "text/javascript; charset=utf-8");
    return c.body(new Uint8Array(body));
  });
  // Middleware rather than a GET "*" route: a file that is not there falls through to a plain 404.
  const files = serveStatic({ root: deps.webRoot });
  app.use("*", (c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? files(c, next) : next()));
  return app;
}

function page(c: Context, html: string, csp: string) {
  c.header("Content-Security-Policy", csp);
  return c.html(html);
}
