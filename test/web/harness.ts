// What the browser tests share: the whole local system (every function, the dispatcher, the
// gateway, the web page) on its own topics and database, and a headless Chromium.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import type { Purchase } from "../../functions/shared/purchase.ts";
import { freshDatabase } from "../../harness/databases.ts";
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
  stopGateway: () => Promise<void>;
  /** Starts the gateway again on the same port, as after an outage. */
  startGateway: () => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * The web page needs a port known before start: CORS_ORIGINS must name its origin, and every
 * function reads that at start-up.
 */
async function startWebSystem(): Promise<WebSystem> {
  const webPort = await freePort();
  const pageUrl = `http://127.0.0.1:${webPort}`;
  const db = await freshDatabase("web");
  const env = {
    ...isolatedPipeline("web").env,
    MONGODB_URI: db.uri,
    CORS_ORIGINS: pageUrl,
  };
  let system: System;
  try {
    system = await startSystem({ env, ports: { web: webPort } });
  } catch (err) {
    await db.client.close();
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

/** Fills the shopper form and shows that shopper. */
export async function chooseUser(page: Page, username: string, userId: string) {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("User ID").fill(userId);
  await page.getByRole("button", { name: "Show this shopper" }).click();
}

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

/** A purchase made by another client, straight to the API. */
export async function buyFromApi(ws: WebSystem, username: string, userId: string) {
  const res = await fetch(`${ws.system.url("gateway")}/buy`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, user_id: userId }),
  });
  if (res.status !== 202) throw new Error(`POST /buy answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { purchase: Purchase }).purchase;
}

export const usd = (n: number) =>
  new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(n);

/** The text of a statistics tile ("count", "total", "average", "min", "max", "last"). */
export const statText = (page: Page, key: string) =>
  page.locator(`#stats [data-stat="${key}"] .stat-value`).textContent();

/** Waits until the API has stored `n` purchases of the user (they arrive through Kafka). */
export async function waitForStored(ws: WebSystem, userId: string, n: number) {
  await waitFor(`${n} stored purchases of ${userId}`, async () => {
    const res = await fetch(`${ws.system.url("gateway")}/getAllUserBuys/${userId}?limit=1`);
    const body = (await res.json()) as { stats?: { count: number } };
    return body.stats?.count === n;
  });
}

/** The system and a browser, started together; if either fails, the other is stopped again. */
export async function startWebTest(): Promise<{ ws: WebSystem; browser: Browser }> {
  const [ws, browser] = await Promise.allSettled([startWebSystem(), launchBrowser()]);
  if (ws.status === "fulfilled" && browser.status === "fulfilled")
    return { ws: ws.value, browser: browser.value };
  if (browser.status === "fulfilled") await browser.value.close();
  if (ws.status === "fulfilled") await ws.value.stop();
  throw ws.status === "rejected" ? ws.reason : (browser as PromiseRejectedResult).reason;
}
