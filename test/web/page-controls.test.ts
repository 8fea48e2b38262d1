// The page's controls in a real browser: keyboard shortcuts (b buys, r refreshes, / goes to the
// user field, ? shows the help, Esc closes it; none fire while typing or with a modifier), the
// shopper form's inline validation (nothing is sent while it is invalid), and the layout at phone,
// tablet and desktop widths (no horizontal scrolling).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import {
  buyFromApi,
  chooseUser,
  openPage,
  recordApiCalls,
  screenshot,
  startWebTest,
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
const fieldError = (page: Page, id: string) => page.locator(`#${id}-error`);
const noHorizontalOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

describe("web page: keyboard shortcuts", () => {
  test("When ? is pressed, then the help lists the shortcuts, and Esc closes it", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await page.keyboard.press("?");
    await help.waitFor();
    const text = (await help.textContent()) ?? "";
    for (const key of ["B", "R", "/", "?", "Esc"]) assert.ok(text.includes(key), key);
    await screenshot(page, "04-shortcuts-help", false);
    await page.keyboard.press("b");
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "hidden" });
    assert.ok(await page.locator("#username-error").isHidden(), "b did nothing while the help was open");
    await context.close();
  });

  test("When / is pressed, then the username field has the focus and no slash was typed", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    await page.keyboard.press("/");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "username");
    assert.equal(await page.getByLabel("Username").inputValue(), "");
    await context.close();
  });

  test("When b is pressed, then a purchase is made; while typing or with a modifier, nothing happens", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    const calls = recordApiCalls(page, ws.apiOrigin);
    await chooseUser(page, "Alan", "alan-keys");
    await page.getByText("No purchases yet").waitFor();

    // Typing b, r, / and ? in a field types them.
    await page.getByLabel("Username").fill("");
    await page.getByLabel("Username").pressSequentially("bob r/?");
    assert.equal(await page.getByLabel("Username").inputValue(), "bob r/?");
    assert.ok(await page.getByRole("dialog").isHidden());
    await settle(page);
    assert.equal(buys(calls), 0);
    await page.getByLabel("Username").fill("Alan");

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
    await chooseUser(page, "Alan", "alan-keys");
    await page.locator("#catalog li").first().waitFor();
    await blur(page);
    const again = ["/items", "/health", "/getAllUserBuys/alan-keys"].map((path) =>
      page.waitForRequest((r) => new URL(r.url()).pathname === path, { timeout: 900 }),
    );
    await page.keyboard.press("r");
    await Promise.all(again);
    await context.close();
  });
});

describe("web page: the shopper form", () => {
  test("When the fields are invalid, then each says why inline and no request is sent", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl, 375, 800);
    const calls = recordApiCalls(page, ws.apiOrigin);
    await page.getByRole("button", { name: "Show this shopper" }).click();
    assert.equal(await fieldError(page, "username").textContent(), "Enter a username.");
    assert.equal(await fieldError(page, "user-id").textContent(), "Enter a user ID.");
    assert.equal(await page.getByLabel("Username").getAttribute("aria-invalid"), "true");
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      "username",
      "focus on the first bad field",
    );

    await page.getByLabel("Username").fill(`  ${"x".repeat(65)}  `);
    await page.getByLabel("User ID").fill("ada lovelace/1");
    await page.getByRole("button", { name: /buy a random item/i }).click();
    assert.match((await fieldError(page, "username").textContent()) ?? "", /at most 64 characters/);
    assert.match((await fieldError(page, "user-id").textContent()) ?? "", /Spaces are not allowed/);
    await page.getByLabel("Username").fill("tab\there");
    assert.match((await fieldError(page, "username").textContent()) ?? "", /control characters/);
    await screenshot(page, "05-validation-375");
    await page.waitForTimeout(300);
    const sent = calls.filter((c) => c.path === "/buy" || c.path.startsWith("/getAllUserBuys"));
    assert.deepEqual(sent, [], "nothing sent while invalid");

    // Fixing a field clears its message as the user types.
    await page.getByLabel("User ID").fill("ada-1815");
    assert.ok(await fieldError(page, "user-id").isHidden());
    assert.equal(await page.getByLabel("User ID").getAttribute("aria-invalid"), "false");
    await context.close();
  });

  test("When a valid shopper is shown, then it is remembered for the next visit", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    await chooseUser(page, "  Margaret Hamilton  ", "margaret");
    await page.getByText("No purchases yet").waitFor();
    await page.reload();
    assert.equal(await page.getByLabel("Username").inputValue(), "Margaret Hamilton");
    assert.equal(await page.getByLabel("User ID").inputValue(), "margaret");
    await page.getByText("Margaret Hamilton · margaret").waitFor();
    await context.close();
  });
});

describe("web page: layout", () => {
  test("When shown at 375, 768 and 1280 px, then nothing scrolls sideways, even with the longest names", async () => {
    const userId = "u".repeat(64);
    const username = "W".repeat(64);
    for (let i = 0; i < 4; i++) await buyFromApi(ws, username, userId);
    await waitForStored(ws, userId, 4);
    const { page, context } = await openPage(browser, ws.pageUrl, 375, 900);
    await chooseUser(page, username, userId);
    await page.locator("#history tbody tr").nth(3).waitFor();
    await page.locator("#catalog li").first().waitFor();
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
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      order.push(
        await page.evaluate(
          () => document.activeElement?.id || document.activeElement?.textContent?.trim() || "",
        ),
      );
    }
    assert.deepEqual(order, [
      "Skip to content",
      "help-open",
      "username",
      "user-id",
      "Show this shopper",
      "buy",
    ]);
    const outline = await page.evaluate(
      () => getComputedStyle(document.activeElement as Element).outlineStyle,
    );
    assert.equal(outline, "solid");
    await context.close();
  });
});
