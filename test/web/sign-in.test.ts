// The page's sign-in in a real browser against the stack's real Keycloak: Keycloak's own login form,
// buying and reading as the signed-in shopper with her bearer token, signing out at the issuer, the
// renewal with the refresh token before the access token expires, and a session that ends (ended
// at the issuer; the API refusing the token). The page's client here has 70 s access tokens, so
// the page renews about 10 s after each token (it renews 60 s before expiry).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page, Request } from "playwright-core";
import { endSession, localIssuer, SHOPPERS, userTokens, WEB_CLIENT } from "../../harness/keycloak.ts";
import { keycloakApp } from "../auth/app.ts";
import {
  accessibilityViolations,
  openPage,
  recordApiCalls,
  screenshot,
  signIn,
  startWebTest,
  statText,
  usd,
  type WebSystem,
} from "./harness.ts";

let ws: WebSystem;
let browser: Browser;

before(async () => {
  ({ ws, browser } = await startWebTest({ accessTokenLifespanS: 70 }));
});

after(async () => {
  await browser?.close();
  await ws?.stop();
});

const ALICE = SHOPPERS.alice.id;
const TOKEN_ENDPOINT = `${localIssuer()}/protocol/openid-connect/token`;
const isRefresh = (r: Request) =>
  r.url() === TOKEN_ENDPOINT && /grant_type=refresh_token/.test(r.postData() ?? "");

/** The session oidc-client-ts keeps in this tab's sessionStorage (never localStorage). */
const storedSession = (page: Page) =>
  page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((k) => k.startsWith("oidc.user:"));
    const user = key ? JSON.parse(sessionStorage.getItem(key) ?? "null") : null;
    return user
      ? {
          accessToken: user.access_token as string,
          sid: user.profile?.sid as string,
          local: localStorage.length,
        }
      : { accessToken: "", sid: "", local: localStorage.length };
  });

describe("web page: signing in", () => {
  test("When alice signs in through Keycloak's form, then she buys and reads as herself with her token, and signs out at the issuer", async () => {
    const { page, context, errors } = await openPage(browser, ws.pageUrl);
    await page.getByText("You are not signed in.").waitFor();
    await page.getByText("Not signed in", { exact: true }).waitFor();
    await screenshot(page, "09-signed-out");
    assert.deepEqual(await accessibilityViolations(page), [], "WCAG 2.1 A/AA violations, signed out");

    await signIn(page, "alice");
    assert.doesNotMatch(page.url(), /[?&](code|state)=/, "the code and state are gone from the address");
    const stored = await storedSession(page);
    assert.ok(stored.accessToken, "the tokens are in sessionStorage");
    assert.equal(stored.local, 0, "nothing in localStorage");
    // The token the page holds is what the functions' middleware accepts as alice, and no one else.
    const { get } = keycloakApp();
    const me = (await (await get("/me", stored.accessToken)).json()) as { userId: string };
    assert.equal(me.userId, ALICE);
    const claims = JSON.parse(Buffer.from(stored.accessToken.split(".")[1] ?? "", "base64url").toString());
    for (const scope of ["purchases:read", "purchases:write"])
      assert.ok(claims.scope.split(" ").includes(scope), scope);
    assert.equal((await get(`/buys/${ALICE}`, stored.accessToken)).status, 200);
    assert.equal((await get(`/buys/${SHOPPERS.bob.id}`, stored.accessToken)).status, 403);
    await page.getByText("No purchases yet").waitFor();
    assert.equal(await statText(page, "count"), "0");

    const answered = page.waitForResponse((r) => r.url().endsWith("/buy") && r.request().method() === "POST");
    await page.getByRole("button", { name: /buy a random item/i }).click();
    const res = await answered;
    assert.equal(res.status(), 202);
    assert.equal(res.request().headers().authorization, `Bearer ${stored.accessToken}`);
    assert.equal(res.request().postDataJSON().user_id, ALICE, "the token's sub, not a typed id");
    const { purchase } = await res.json();
    assert.equal(purchase.user_id, ALICE);
    await page.locator("#toasts .toast", { hasText: `Bought ${purchase.item_name}` }).waitFor();
    await page.locator(`#history tr[data-id="${purchase.id}"]`).waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => document.querySelector('[data-stat="count"] .stat-value')?.textContent === "1",
    );
    assert.equal(await statText(page, "total"), usd(purchase.price));
    const read = await page.waitForRequest((r) => r.url().includes(`/getAllUserBuys/${ALICE}`));
    assert.match(read.headers().authorization ?? "", /^Bearer /);
    await screenshot(page, "10-signed-in");
    assert.deepEqual(await accessibilityViolations(page), [], "WCAG 2.1 A/AA violations, signed in");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByText("You have signed out.").waitFor({ timeout: 30_000 });
    await page.getByText("You are not signed in.").waitFor();
    assert.ok(await page.getByRole("button", { name: "Sign in" }).isVisible());
    await page.getByText("Not signed in", { exact: true }).waitFor();
    assert.equal((await storedSession(page)).accessToken, "", "the tokens are forgotten");
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("When the access token nears its expiry, then the page renews it with the refresh token, without a reload", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    await signIn(page, "alice");
    const first = (await storedSession(page)).accessToken;
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));
    // Waits for the page's own renewal (about 10 s after the token); how soon is not the point.
    const renewal = await page.waitForRequest(isRefresh, { timeout: 60_000 });
    assert.equal((await renewal.response())?.status(), 200);
    await page.waitForFunction(
      (old) =>
        Object.keys(sessionStorage).some(
          (k) => k.startsWith("oidc.user:") && !sessionStorage[k].includes(old),
        ),
      first,
    );
    const renewed = (await storedSession(page)).accessToken;
    assert.notEqual(renewed, first);
    const read = await page.waitForRequest((r) => r.url().includes(`/getAllUserBuys/${ALICE}`));
    assert.equal(read.headers().authorization, `Bearer ${renewed}`, "the API gets the new token");
    await page.getByText("Signed in as alice").waitFor();
    assert.equal(await page.evaluate(() => "sameDocument" in window), true, "no reload");
    await context.close();
  });
});

describe("web page: the session ends", () => {
  test("When the session is ended at the issuer, then the next renewal fails and the page says so and offers to sign in again", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl, 375, 800);
    await signIn(page, "alice");
    const { sid } = await storedSession(page);
    assert.ok(sid, "the ID token names its session");
    await endSession(sid);

    const notice = page.locator("#session-notice");
    await notice.getByText(/Your session has ended/).waitFor({ timeout: 60_000 });
    assert.equal(await notice.getAttribute("role"), "alert");
    await page.getByText("Not signed in", { exact: true }).waitFor();
    assert.equal((await storedSession(page)).accessToken, "");
    // Nothing is read for a session that is over.
    const calls = recordApiCalls(page, ws.apiOrigin);
    await page.waitForTimeout(1500);
    assert.deepEqual(
      calls.filter((c) => c.path.startsWith("/getAllUserBuys")),
      [],
    );
    await screenshot(page, "11-session-ended-375");

    // Buying now asks to sign in first, and Sign in again goes through the login form again.
    await page.getByRole("button", { name: /buy a random item/i }).click();
    await page.locator("#buy-error", { hasText: "Sign in to buy." }).waitFor();
    await signIn(page, "alice");
    assert.ok(await notice.isHidden());
    await context.close();
  });

  test("When the API answers 401, then the session is over; a 403 is a plain message, not a crash", async () => {
    const { page, context, errors } = await openPage(browser, ws.pageUrl);
    await signIn(page, "alice");
    await page
      .getByText(/No purchases yet|Purchases of alice/)
      .first()
      .waitFor();

    // The functions in this branch may not verify tokens yet: the answers are the API's own
    // refusals as the error catalog words them, given to the page by the browser.
    await page.route("**/buy", (route) =>
      route.fulfill({
        status: 403,
        contentType: "application/json",
        body: JSON.stringify({ error: "forbidden", message: "You may only act for yourself" }),
      }),
    );
    await page.getByRole("button", { name: /buy a random item/i }).click();
    await page.locator("#buy-error", { hasText: "This is not allowed for your account" }).waitFor();
    await page.getByText("Signed in as alice").waitFor();

    await page.route("**/getAllUserBuys/**", (route) =>
      route.fulfill({
        status: 401,
        contentType: "application/json",
        headers: { "WWW-Authenticate": 'Bearer realm="purchases", error="invalid_token"' },
        body: JSON.stringify({ error: "invalid_token", message: "The access token is not valid" }),
      }),
    );
    await page.keyboard.press("r");
    await page.locator("#session-notice", { hasText: "Your session has ended" }).waitFor();
    await page.getByRole("button", { name: "Sign in again" }).waitFor();
    assert.deepEqual(
      errors.filter((e) => !/status of 40[13]/.test(e)),
      [],
      "no script error",
    );
    await context.close();
  });
});

describe("web page: the issuer unreachable", () => {
  test("When Sign in is pressed and the issuer does not answer, then the button comes back with the reason", async () => {
    const { page, context } = await openPage(browser, ws.pageUrl);
    // The browser cannot reach the issuer (as with Keycloak down): its requests fail at once.
    await page.route(`${localIssuer()}/**`, (route) => route.abort("connectionrefused"));
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#session-notice", { hasText: "The sign-in service cannot be reached" }).waitFor();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Sign in" }).getAttribute("aria-busy"), null);
    assert.equal(new URL(page.url()).origin, new URL(ws.pageUrl).origin, "still on the page");
    await context.close();
  });
});

describe("the realm's page client (scripts/keycloak/purchases-realm.json)", () => {
  /** A refresh-token grant as the page sends it from `origin` (a CORS request): its status and error. */
  async function refreshFrom(origin: string, refreshToken: string) {
    const res = await fetch(TOKEN_ENDPOINT, {
      method: "POST",
      headers: { Origin: origin },
      body: new URLSearchParams({
        grant_type: "refresh_token",
        client_id: WEB_CLIENT,
        refresh_token: refreshToken,
      }),
    });
    const body = (await res.json()) as { refresh_token?: string; error_description?: string };
    return { status: res.status, allowOrigin: res.headers.get("access-control-allow-origin"), body };
  }

  test("When the page is npm start's (port 8080), then its token calls are allowed; from another port Keycloak refuses the origin", async () => {
    const tokens = await userTokens("alice", SHOPPERS.alice.password);
    assert.ok(tokens.refresh_token, "refresh tokens are on");
    const ok = await refreshFrom("http://127.0.0.1:8080", tokens.refresh_token);
    assert.equal(ok.status, 200);
    assert.equal(ok.allowOrigin, "http://127.0.0.1:8080");
    // Why the browser tests register their own client: a web origin must be listed, port included.
    const other = await refreshFrom("http://127.0.0.1:8081", ok.body.refresh_token ?? "");
    assert.equal(other.status, 403);
    assert.equal(other.allowOrigin, null);
  });
});
