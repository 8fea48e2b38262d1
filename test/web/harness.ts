// What the browser tests share: the whole local system (every function, the dispatcher, the
// gateway, the web page) on its own topics and database, verifying against the stack's real
// Keycloak, a page client registered for this process's page, and a headless Chromium. Shoppers
// sign in through Keycloak's own login form; alice and bob are the realm's test shoppers.

import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import type { Purchase } from "../../functions/shared/purchase.ts";
import { freshDatabase } from "../../harness/databases.ts";
import {
  keycloakUrl,
  localIssuer,
  type PageClient,
  registerPageClient,
  SHOPPERS,
  type Shopper,
  userTokens,
} from "../../harness/keycloak.ts";
import { isolatedPipeline } from "../../harness/names.ts";
import { freePort } from "../../harness/ports.ts";
import { spawnComponent } from "../../harness/process.ts";
import { ROOT } from "../../harness/root.ts";
import { type System, startSystem } from "../../harness/system.ts";
import { waitFor } from "../../harness/wait.ts";

const SCREENSHOTS = join(ROOT, "test-results", "web");

export interface WebSystem {
  system: System;
  /** The page's URL; the API allows exactly this origin (CORS). */
  pageUrl: string;
  /** Where the page sends API calls (the gateway, as API_BASE_URL names it). */
  apiOrigin: string;
  /** The page's client at Keycloak (a copy of the realm's purchases-web for this page's origin). */
  client: PageClient;
  stopGateway: () => Promise<void>;
  /** Starts the gateway again on the same port, as after an outage. */
  startGateway: () => Promise<void>;
  stop: () => Promise<void>;
}

export interface WebTestOptions {
  /** The access token lifespan of the page's client (Keycloak's default for the realm: 300 s). */
  accessTokenLifespanS?: number;
}

/**
 * The web page needs a port known before start: CORS_ORIGINS and the page's client at Keycloak
 * must name its origin, and every function reads CORS_ORIGINS at start-up.
 */
async function startWebSystem(opts: WebTestOptions): Promise<WebSystem> {
  const webPort = await freePort();
  const pageUrl = `http://127.0.0.1:${webPort}`;
  const client = await registerPageClient(pageUrl, opts);
  const db = await freshDatabase("web");
  const env = {
    ...isolatedPipeline("web").env,
    MONGODB_URI: db.uri,
    CORS_ORIGINS: pageUrl,
    AUTH_ISSUER: localIssuer(),
    WEB_CLIENT_ID: client.clientId,
  };
  let system: System;
  try {
    system = await startSystem({ env, ports: { web: webPort } });
  } catch (err) {
    await db.client.close();
    await client.remove();
    throw err;
  }
  const gateway = () => {
    const c = system.components.get("gateway");
    if (!c) throw new Error("no gateway");
    return c;
  };
  const gatewayPort = gateway().port;
  return {
    system,
    pageUrl,
    apiOrigin: `http://localhost:${gatewayPort}`,
    client,
    stopGateway: async () => {
      await gateway().stop();
    },
    startGateway: async () => {
      const routes = {
        buy: system.url("buy"),
        items: system.url("items"),
        userPurchases: system.url("user-purchases"),
      };
      const c = await spawnComponent({
        name: "gateway",
        entry: "harness/gateway.ts",
        env: { ...env, GATEWAY_ROUTES: JSON.stringify(routes) },
        port: gatewayPort,
      });
      system.components.set("gateway", c);
    },
    stop: async () => {
      await system.stop();
      try {
        await db.client.db().dropDatabase();
      } finally {
        await db.client.close();
        await client.remove();
      }
    },
  };
}

function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--no-first-run",
    ],
  });
}

/** Every request the page makes to the API, for asserting what was (not) sent. */
export function recordApiCalls(page: Page, apiOrigin: string) {
  const calls: { method: string; path: string }[] = [];
  page.on("request", (req) => {
    const url = new URL(req.url());
    if (url.origin === apiOrigin) calls.push({ method: req.method(), path: url.pathname });
  });
  return calls;
}

/** test-results/web/<name>.png: the whole page, or what the viewport shows (for overlays). */
export async function screenshot(page: Page, name: string, fullPage = true) {
  await mkdir(SCREENSHOTS, { recursive: true });
  // From the top, or the sticky header lands mid-page in a full-page shot.
  if (fullPage) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

/** Signs in through Keycloak's login form and waits until the page says who is signed in. */
export async function signIn(page: Page, who: Shopper = "alice") {
  await page.getByRole("button", { name: /^Sign in/ }).click();
  await page.waitForURL((url) => url.href.startsWith(keycloakUrl()));
  await page.locator("#username").fill(who);
  await page.locator("#password").fill(SHOPPERS[who].password);
  await page.locator("#kc-login").click();
  await page.locator("#account-status", { hasText: `Signed in as ${who}` }).waitFor({ timeout: 30_000 });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * The WCAG 2.1 A/AA violations axe-core finds on the page as it is now (id, impact, the first
 * elements). axe goes in through the DevTools protocol (page.evaluate), which the page's CSP does
 * not govern, so the CSP stays as served.
 */
export async function accessibilityViolations(page: Page) {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<AxeResult> } })
      .axe;
    const result = await axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    }));
  });
}
type AxeResult = { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };

/** A page in its own context (fresh localStorage), US English and UTC for predictable text. */
export async function openPage(browser: Browser, url: string, width = 1280, height = 900) {
  const context = await browser.newContext({
    viewport: { width, height },
    locale: "en-US",
    timezoneId: "UTC",
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(msg.text());
  });
  await page.goto(url);
  return { page, context, errors };
}

// One token per shopper and process, through the realm's own page client (valid 5 minutes).
const tokens = new Map<Shopper, { token: string; until: number }>();
async function bearer(who: Shopper): Promise<Record<string, string>> {
  let held = tokens.get(who);
  if (!held || held.until < Date.now()) {
    const t = await userTokens(who, SHOPPERS[who].password);
    held = { token: t.access_token, until: Date.now() + (t.expires_in - 60) * 1000 };
    tokens.set(who, held);
  }
  return { Authorization: `Bearer ${held.token}` };
}

/** A purchase the shopper makes from another client (with their own token), straight to the API. */
export async function buyFromApi(ws: WebSystem, who: Shopper) {
  const res = await fetch(`${ws.system.url("gateway")}/buy`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(await bearer(who)) },
    body: JSON.stringify({ username: who, user_id: SHOPPERS[who].id }),
  });
  if (res.status !== 202) throw new Error(`POST /buy answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { purchase: Purchase }).purchase;
}

export const usd = (n: number) =>
  new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(n);

/** The text of a statistics tile ("count", "total", "average", "min", "max", "last"). */
export const statText = (page: Page, key: string) =>
  page.locator(`#stats [data-stat="${key}"] .stat-value`).textContent();

/** How many purchases of the shopper the API has stored. */
export async function storedCount(ws: WebSystem, who: Shopper): Promise<number> {
  const res = await fetch(`${ws.system.url("gateway")}/getAllUserBuys/${SHOPPERS[who].id}?limit=1`, {
    headers: await bearer(who),
  });
  const body = (await res.json()) as { stats?: { count: number } };
  return body.stats?.count ?? 0;
}

/** Waits until the API has stored `n` purchases of the shopper (they arrive through Kafka). */
export async function waitForStored(ws: WebSystem, who: Shopper, n: number) {
  await waitFor(`${n} stored purchases of ${who}`, async () => (await storedCount(ws, who)) === n);
}

/** The system and a browser, started together; if either fails, the other is stopped again. */
export async function startWebTest(opts: WebTestOptions = {}): Promise<{ ws: WebSystem; browser: Browser }> {
  const [ws, browser] = await Promise.allSettled([startWebSystem(opts), launchBrowser()]);
  if (ws.status === "fulfilled" && browser.status === "fulfilled")
    return { ws: ws.value, browser: browser.value };
  if (browser.status === "fulfilled") await browser.value.close();
  if (ws.status === "fulfilled") await ws.value.stop();
  throw ws.status === "rejected" ? ws.reason : (browser as PromiseRejectedResult).reason;
}
