// The web function in-process: the page with the API base URL and the sign-in settings filled in,
// the vendored sign-in library, content types, caching and the security headers; no network.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ROOT } from "../../harness/root.ts";
import { parseEnv } from "../shared/config.ts";
import { createLogger } from "../shared/logging.ts";
import { createRegistry } from "../shared/metrics.ts";
import { createApp, findWebRoot, parseApiBaseUrl, renderIndex } from "./app.ts";
import { configSchema } from "./config.ts";
import { findVendorFiles } from "./vendor.ts";

const WEB = join(ROOT, "web");
const ISSUER = "http://127.0.0.1:8180/realms/purchases";
const app = (apiBaseUrl = "", issuer = ISSUER) =>
  createApp({
    logger: createLogger("silent"),
    registry: createRegistry({ service: "web" }),
    webRoot: WEB,
    apiBaseUrl,
    signIn: { issuer, clientId: "purchases-web" },
    vendorFiles: findVendorFiles("/nonexistent"),
  });

describe("web function", () => {
  test("When / is requested, then the page carries API_BASE_URL in its meta tag and is revalidated", async () => {
    const res = await app("http://localhost:8000").request("/");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html; charset=utf-8/i);
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.ok(res.headers.get("etag"));
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self';/);
    assert.match(await res.text(), /<meta name="api-base-url" content="http:\/\/localhost:8000">/);
  });

  test("When / is requested, then the page names the issuer and client, and connect-src adds only the issuer's origin", async () => {
    const res = await app("http://localhost:8000", "https://id.example.com/realms/shop").request("/");
    const html = await res.text();
    assert.match(html, /<meta name="oidc-issuer" content="https:\/\/id.example.com\/realms\/shop">/);
    assert.match(html, /<meta name="oidc-client-id" content="purchases-web">/);
    const csp = (res.headers.get("content-security-policy") ?? "").split("; ");
    assert.ok(
      csp.includes("connect-src 'self' http://localhost:8000 https://id.example.com"),
      csp.join("; "),
    );
    // Nothing else widened: no inline code, no frames (no check-session iframe), forms to self.
    for (const d of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "form-action 'self'"])
      assert.ok(csp.includes(d), d);
    assert.ok(!csp.some((d) => d.includes("unsafe") || d.startsWith("frame-src")), csp.join("; "));
  });

  test("When API_BASE_URL is empty, then the meta tag is empty and the API is the page's origin", async () => {
    const res = await app("").request("/index.html");
    assert.match(await res.text(), /<meta name="api-base-url" content="">/);
    assert.match(
      res.headers.get("content-security-policy") ?? "",
      /connect-src 'self' http:\/\/127.0.0.1:8180;/,
    );
  });

  test("When the sign-in library is requested, then it is oidc-client-ts's browser build from node_modules, revalidated", async () => {
    const a = app();
    const res = await a.request("/vendor/oidc-client-ts.min.js");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.match(await res.text(), /^"use strict";var oidc=/);
    const again = await a.request("/vendor/oidc-client-ts.min.js", {
      headers: { "If-None-Match": res.headers.get("etag") ?? "" },
    });
    assert.equal(again.status, 304);
    assert.equal((await a.request("/vendor/other.js")).status, 404);
  });

  test("When WEB_CLIENT_ID and AUTH_ISSUER are unset, then the local realm's page client and issuer", () => {
    const config = parseEnv(configSchema, {});
    assert.equal(config.WEB_CLIENT_ID, "purchases-web");
    assert.equal(config.AUTH_ISSUER, ISSUER);
    assert.throws(() => parseEnv(configSchema, { AUTH_ISSUER: "not a url" }), /AUTH_ISSUER/);
  });

  test("When scripts, styles and the icon are requested, then each has its content type and no-cache", async () => {
    const a = app();
    for (const [path, type] of [
      ["/js/main.js", /^text\/javascript/],
      ["/styles.css", /^text\/css/],
      ["/favicon.svg", /^image\/svg\+xml/],
    ] as const) {
      const res = await a.request(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("content-type") ?? "", type, path);
      assert.equal(res.headers.get("cache-control"), "no-cache", path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    }
  });

  test("When the browser revalidates with the ETag it has, then 304 without a body", async () => {
    const a = app();
    const first = await a.request("/styles.css");
    const tag = first.headers.get("etag") ?? "";
    const again = await a.request("/styles.css", { headers: { "If-None-Match": tag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), "");
  });

  test("When a path is unknown or climbs out of the web root, then 404 JSON", async () => {
    const a = app();
    for (const path of ["/nope.js", "/../package.json", "/%2e%2e/package.json", "/js/../../package.json"]) {
      const res = await a.request(path);
      assert.equal(res.status, 404, path);
      assert.equal((await res.json()).error, "not_found", path);
    }
  });

  test("When API_BASE_URL is not an http(s) URL, then start-up fails naming it", () => {
    assert.equal(parseApiBaseUrl(undefined), "");
    assert.equal(parseApiBaseUrl(" http://localhost:8000/ "), "http://localhost:8000");
    assert.throws(() => parseApiBaseUrl("localhost:8000"), /API_BASE_URL/);
    assert.throws(() => parseApiBaseUrl("ftp://x"), /API_BASE_URL/);
  });

  test("When the value would break out of the attribute, then it is escaped", () => {
    const metas = ["api-base-url", "oidc-issuer", "oidc-client-id"].map(
      (n) => `<meta name="${n}" content="">`,
    );
    const html = renderIndex(metas.join(""), {
      apiBaseUrl: 'http://x/"><script>',
      issuer: "i",
      clientId: "c",
    });
    assert.match(html, /<meta name="api-base-url" content="http:\/\/x\/&quot;&gt;&lt;script&gt;">/);
    assert.throws(
      () => renderIndex(metas[0] ?? "", { apiBaseUrl: "", issuer: "i", clientId: "c" }),
      /oidc-issuer/,
    );
  });

  test("When WEB_ROOT is unset, then the web root is found from the source folder; a bad one is skipped", () => {
    const fromSource = join(ROOT, "functions", "web", "../../web");
    assert.equal(findWebRoot([undefined, "/nonexistent", fromSource]), fromSource);
    assert.throws(() => findWebRoot(["/nonexistent"]), /no web root/);
  });
});
