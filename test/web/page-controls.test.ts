// The page's controls in a real browser: keyboard shortcuts (b buys, r refreshes, ? shows the help,
// Esc closes it; none fire with a modifier), what a signed-out visitor can and cannot do (Buy asks
// to sign in, nothing is sent), and the layout at phone, tablet and desktop widths, signed in and
// out (no horizontal scrolling). Shoppers sign in through the stack's Keycloak.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { SHOPPERS } from "../../harness/keycloak.ts";
import {
  buyFromApi,
  openPage,
  recordApiCalls,
  screenshot,
  signIn,
  startWebTest,
  storedCount,
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

const settle = (page: Page) => page.waitForTimeout(300);
const buys = (calls: { method: string; path: string }[]) =>
  calls.filter((c) => c.method === "POST" && c.path === "/buy").length;
const blur = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
const noHorizontalOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

describe("web page: keyboard shortcuts", () => {
  test("When ? is pressed, then the help lists the shortcuts, and Esc closes it", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await page.keyboard.press("?");
    await help.waitFor();
    const text = (await help.textContent()) ?? "";
    for (const key of ["B", "R", "?", "Esc"]) assert.ok(text.includes(key), key);
    await screenshot(page, "04-shortcuts-help", false);
    await page.keyboard.press("b");
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "hidden" });
    assert.ok(await page.locator("#buy-error").isHidden(), "b did nothing while the help was open");
    await context.close();
  });

  test("When b is pressed, then a purchase is made; with a modifier, nothing happens", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    const calls = recordApiCalls(page, ws.apiOrigin);
    await signIn(page, "alice");
    await page.locator('#live[data-state="ok"]').waitFor();

    await blur(page);
    for (const chord of ["Control+b", "Alt+b", "Meta+b"]) await page.keyboard.press(chord);
    await settle(page);
    assert.equal(buys(calls), 0, "no purchase with a modifier held");

    await page.keyboard.press("b");
    await page.locator("#toasts .toast").waitFor();
    assert.equal(buys(calls), 1);
    await page.locator("#history tbody tr").first().waitFor();
    await context.close();
  });

  test("When r is pressed, then history, catalog and health are fetched again at once", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    await signIn(page, "alice");
    await page.locator("#catalog li").first().waitFor();
    await page.locator('#live[data-state="ok"]').waitFor();
    await blur(page);
    const again = ["/items", "/health", `/getAllUserBuys/${SHOPPERS.alice.id}`].map((path) =>
      page.waitForRequest((r) => new URL(r.url()).pathname === path, { timeout: 900 }),
    );
    await page.keyboard.press("r");
    await Promise.all(again);
    await context.close();
  });
});

describe("web page: signed out", () => {
  test("When nobody is signed in, then Buy (button or b) asks to sign in and nothing is sent", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl, 375, 800);
    const calls = recordApiCalls(page, ws.apiOrigin);
    await page.getByText("You are not signed in.").waitFor();
    await page.getByRole("button", { name: /buy a random item/i }).click();
    await page.locator("#buy-error", { hasText: "Sign in to buy." }).waitFor();
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      "sign-in",
      "the focus goes to Sign in",
    );
    await blur(page);
    await page.keyboard.press("b");
    await page.keyboard.press("r");
    await settle(page);
    const sent = calls.filter((c) => c.path === "/buy" || c.path.startsWith("/getAllUserBuys"));
    assert.deepEqual(sent, [], "nothing sent for nobody");
    await screenshot(page, "05-signed-out-375");
    await context.close();
  });
});

describe("web page: layout", () => {
  test("When shown at 375, 768 and 1280 px, signed out and signed in, then nothing scrolls sideways", async () => {
    const stored = await storedCount(ws, "bob");
    for (let i = 0; i < 4; i++) await buyFromApi(ws, "bob");
    await waitForStored(ws, "bob", stored + 4);
    const { page, context } = await openPage(browser, ws.pageUrl, 375, 900);
    await page.locator("#catalog li").first().waitFor();
    for (const width of [375, 768, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      assert.ok(await noHorizontalOverflow(page), `no horizontal overflow at ${width} px, signed out`);
    }
    await page.setViewportSize({ width: 375, height: 900 });
    await signIn(page, "bob");
    await page.locator("#history tbody tr").nth(3).waitFor();
    for (const width of [375, 768, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      assert.ok(await noHorizontalOverflow(page), `no horizontal overflow at ${width} px`);
      await screenshot(page, `06-layout-${width}`);
      await page.keyboard.press("?");
      await page.getByRole("dialog").waitFor();
      assert.ok(await noHorizontalOverflow(page), `no horizontal overflow with the help open at ${width} px`);
      await page.keyboard.press("Escape");
      await page.getByRole("dialog").waitFor({ state: "hidden" });
    }
    await context.close();
  });

  test("When tabbing through the page, then controls come in reading order with a visible focus ring", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press("Tab");
      order.push(
        await page.evaluate(
          () => document.activeElement?.id || document.activeElement?.textContent?.trim() || "",
        ),
      );
    }
    assert.deepEqual(order.slice(0, 4), ["Skip to content", "help-open", "sign-in", "buy"]);
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    );
    assert.equal(outline, "solid");
    await context.close();
  });
});
