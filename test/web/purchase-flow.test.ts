// The page in a real browser against the real local system, signed in through the stack's Keycloak:
// buying, the live history and statistics, paging with "Load more", and the API going away and
// coming back (the gateway stopped, then started again on its port): an error with Retry, and
// recovery without a reload. alice and bob start with no purchases (this file's own database).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  buyFromApi,
  openPage,
  recordApiCalls,
  screenshot,
  signIn,
  startWebTest,
  statText,
  usd,
  type WebSystem,
  waitForStored,
} from "./harness.ts";

let ws: WebSystem;
let browser: Browser;

before(async () => {
  ({ ws, browser } = await startWebTest());
});

after(async () => {
  await browser?.close();
  await ws?.stop();
});

describe("web page: buying and the live history", () => {
  test("When the shopper buys, then a toast names the item and the row and statistics follow without a reload", async () => {
    const { page, context, errors } = await openPage(browser, ws.pageUrl);
    await signIn(page, "alice");
    await page.getByText("No purchases yet").waitFor();
    assert.equal(await statText(page, "count"), "0");
    await screenshot(page, "01-no-purchases");
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));

    const answered = page.waitForResponse((r) => r.url().endsWith("/buy") && r.request().method() === "POST");
    await page.getByRole("button", { name: /buy a random item/i }).click();
    const res = await answered;
    assert.equal(res.status(), 202);
    assert.ok(res.request().headers()["idempotency-key"], "an Idempotency-Key per click");
    const { purchase } = await res.json();

    const toast = page.locator("#toasts .toast", {
      hasText: `Bought ${purchase.item_name} for ${usd(purchase.price)}`,
    });
    await toast.waitFor();
    assert.equal(await page.locator("#toasts").getAttribute("aria-live"), "polite");
    // The row comes once the purchase has gone through Kafka, the dispatcher and persist into the
    // database, and the page's next poll reads it: how fast is the bench's (freshness figure), not
    // a test's. A bound of 2 s here failed at 2103 ms with test files side by side on a busy
    // machine; the page polls every second for as long as it is open, so the wait only has to
    // outlast the pipeline on a busy machine.
    await page.locator(`#history tr[data-id="${purchase.id}"]`).waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => document.querySelector('[data-stat="count"] .stat-value')?.textContent === "1",
    );
    assert.equal(await statText(page, "total"), usd(purchase.price));
    assert.equal(await statText(page, "max"), usd(purchase.price));
    assert.match(
      (await page.locator("#stats .top-items").textContent()) ?? "",
      new RegExp(purchase.item_name),
    );
    const row = page.locator(`#history tr[data-id="${purchase.id}"]`);
    assert.match((await row.textContent()) ?? "", new RegExp(`${usd(purchase.price).replace("$", "\\$")}`));
    assert.ok(await row.locator("time").getAttribute("datetime"));
    assert.equal(await page.evaluate(() => "sameDocument" in window), true, "no reload");
    await screenshot(page, "02-after-buy");
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("When Buy is pressed again while a purchase is in flight, then the button shows it is busy and one is made", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl, 375, 800);
    const calls = recordApiCalls(page, ws.apiOrigin);
    await signIn(page, "alice");
    await page.locator('#live[data-state="ok"]').waitFor();
    // Hold the first request until both further attempts have been made.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route("**/buy", async (route) => {
      await held;
      await route.continue();
    });
    const button = page.locator("#buy");
    await button.click();
    await page.getByText("Buying…").waitFor();
    assert.equal(await button.getAttribute("aria-busy"), "true");
    await screenshot(page, "02b-buying-375", false);
    // force: Playwright itself would wait for an aria-disabled button to become enabled.
    await button.click({ force: true });
    await page.keyboard.press("b");
    release();
    await page.locator("#toasts .toast").waitFor();
    await page.locator("#history tbody tr").first().waitFor();
    await page.waitForTimeout(300);
    assert.equal(calls.filter((c) => c.method === "POST" && c.path === "/buy").length, 1);
    assert.equal(await button.getAttribute("aria-busy"), "false");
    await context.close();
  });

  test("When the shopper buys from another client, then the page shows it by itself", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    await signIn(page, "alice");
    await page.locator('#live[data-state="ok"]').waitFor();
    const before = Number(await statText(page, "count"));
    const purchase = await buyFromApi(ws, "alice");
    // As above: the page's own polling brings the row; how soon is the bench's freshness figure.
    await page.locator(`#history tr[data-id="${purchase.id}"]`).waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      (n) => document.querySelector('[data-stat="count"] .stat-value')?.textContent === String(n),
      before + 1,
    );
    await context.close();
  });

  test("When there are more purchases than a page, then Load more appends the older ones, newest first", async () => {
    const made = [];
    for (let i = 0; i < 23; i++) made.push(await buyFromApi(ws, "bob"));
    await waitForStored(ws, "bob", 23);
    const { page, context } = await openPage(browser, ws.pageUrl, 768);
    await signIn(page, "bob");
    await page.reload();
    // The session is this tab's (sessionStorage): after a reload bob is still signed in and his
    // history loads with no click and no new sign-in.
    await page.getByText("Signed in as bob").waitFor();
    await page.waitForFunction(
      () => document.querySelector('[data-stat="count"] .stat-value')?.textContent === "23",
      {
        timeout: 10_000,
      },
    );
    assert.equal(await page.locator("#history tbody tr").count(), 20);
    await page.getByRole("button", { name: "Load more" }).click();
    await page.waitForFunction(() => document.querySelectorAll("#history tbody tr").length === 23);
    assert.ok(await page.getByRole("button", { name: "Load more" }).isHidden());
    const ids = await page
      .locator("#history tbody tr")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));
    const times = new Map(made.map((p) => [p.id, p.timestamp]));
    const shown = ids.map((id) => times.get(id ?? "") ?? "missing");
    assert.deepEqual(shown, [...shown].sort().reverse(), "newest first");
    assert.equal(new Set(ids).size, 23);
    await screenshot(page, "03-load-more-768");
    await context.close();
  });
});

describe("web page: the API down and back", () => {
  test("When the API stops, then an error with Retry shows; when it is back, Retry recovers without a reload", async () => {
    const first = await buyFromApi(ws, "alice");
    const { page, context } = await openPage(browser, ws.pageUrl);
    await signIn(page, "alice");
    // A controllable clock, so that the page's own automatic retries cannot beat the Retry click;
    // installed after the sign-in (the login form runs on real time), taken by the reload, after
    // which the session is picked up from this tab's storage. Paused time: no token expires.
    await page.clock.install();
    await page.reload();
    await page.getByText("Signed in as alice").waitFor();
    await page.locator(`#history tr[data-id="${first.id}"]`).waitFor({ timeout: 30_000 });
    await page.getByText("API healthy").waitFor();
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));

    await ws.stopGateway();
    const dataError = page.locator("#data-error");
    await dataError.getByRole("button", { name: "Retry", exact: true }).waitFor({ timeout: 5000 });
    assert.match((await dataError.textContent()) ?? "", /cannot be reached/);
    const failedBuy = page.waitForRequest((r) => r.url().endsWith("/buy") && r.method() === "POST");
    await page.getByRole("button", { name: /buy a random item/i }).click();
    const key = (await failedBuy).headers()["idempotency-key"];
    const buyError = page.locator("#buy-error");
    await buyError.getByRole("button", { name: "Retry", exact: true }).waitFor();
    assert.match((await buyError.textContent()) ?? "", /did not go through.*cannot be reached/);
    await page.keyboard.press("r");
    await page.getByText("API unreachable").waitFor();
    // What was loaded stays on screen while the API is away.
    assert.ok(await page.locator(`#history tr[data-id="${first.id}"]`).isVisible());
    await screenshot(page, "07-api-down");

    // Retry while still down: still an error, with the message.
    await dataError.getByRole("button", { name: "Retry", exact: true }).click();
    await dataError.getByRole("button", { name: "Retry", exact: true }).waitFor();

    await pauseSoon(page);
    await ws.startGateway();
    await dataError.getByRole("button", { name: "Retry", exact: true }).click();
    await dataError.waitFor({ state: "hidden" });
    const retried = page.waitForResponse((r) => r.url().endsWith("/buy") && r.status() === 202);
    await buyError.getByRole("button", { name: "Retry", exact: true }).click();
    const answer = await retried;
    assert.equal(
      answer.request().headers()["idempotency-key"],
      key,
      "a retry of the same click reuses its key",
    );
    const { purchase } = await answer.json();
    await page.locator("#toasts .toast", { hasText: `Bought ${purchase.item_name}` }).waitFor();
    assert.ok(await buyError.isHidden());

    // Time flows again: the live updates and the health indicator pick up by themselves.
    await page.clock.resume();
    await page.locator(`#history tr[data-id="${purchase.id}"]`).waitFor({ timeout: 5000 });
    await page.getByText("API healthy").waitFor({ timeout: 7000 });
    assert.equal(await page.evaluate(() => "sameDocument" in window), true, "no reload");
    await screenshot(page, "08-api-recovered");
    await context.close();
  });
});

/**
 * Pauses the page's clock 100 ms ahead of its current time. The clock keeps running while the
 * command travels to the browser; on a busy machine that took over 100 ms once and Playwright
 * refused to "fast-forward to the past". Then the target is taken again from the page's clock.
 */
async function pauseSoon(page: Page) {
  for (;;) {
    const target = (await page.evaluate(() => Date.now())) + 100;
    try {
      return await page.clock.pauseAt(target);
    } catch (err) {
      if (!/fast-forward to the past/.test((err as Error).message)) throw err;
    }
  }
}
