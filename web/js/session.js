// The shopper's session: OpenID Connect Authorization Code + PKCE (S256) with oidc-client-ts, whose
// self-contained browser build index.html loads from /vendor/ as the global `oidc`. The library
// does the redirect, the callback, the renewal with the refresh token before the access token
// expires, and the expiry events; this file turns them into one state the page renders:
//   checking | signed-in {user} | signed-out {message?} | ended {message}
// Tokens stay in sessionStorage (this tab only, gone with it), never in localStorage. The issuer's
// check-session iframe (monitorSession) is off: it needs a frame-src the CSP does not give, so a
// sign-out elsewhere shows at the next renewal (invalid_grant) or the API's next 401.

/** The scopes the page asks for: who the shopper is, read their purchases, buy. */
const SCOPE = "openid profile purchases:read purchases:write";

export function createSession({ issuer, clientId }) {
  const listeners = new Set();
  let state = { status: "checking" };
  let manager;

  function set(next) {
    state = next;
    for (const listener of listeners) listener(state);
  }

  const signedIn = (user) =>
    set({
      status: "signed-in",
      user: { id: user.profile.sub, name: user.profile.preferred_username ?? user.profile.sub },
    });

  /** The session is over: say why, forget the tokens, offer to sign in again. */
  async function end(message) {
    if (state.status === "ended" || state.status === "signed-out") return;
    set({ status: "ended", message });
    await manager?.removeUser().catch(() => {});
  }

  function setUp() {
    if (!globalThis.oidc?.UserManager) throw new Error("the sign-in library did not load");
    if (!issuer || !clientId) throw new Error("the page has no issuer or client id");
    const here = `${location.origin}${location.pathname}`;
    const tabStorage = () => new globalThis.oidc.WebStorageStateStore({ store: sessionStorage });
    manager = new globalThis.oidc.UserManager({
      authority: issuer,
      client_id: clientId,
      redirect_uri: here,
      post_logout_redirect_uri: here,
      response_type: "code",
      scope: SCOPE,
      userStore: tabStorage(),
      // The PKCE verifier and state between the redirect and the callback; the default is localStorage.
      stateStore: tabStorage(),
      automaticSilentRenew: true,
      monitorSession: false,
      loadUserInfo: false,
    });
    manager.events.addUserLoaded((user) => signedIn(user));
    manager.events.addSilentRenewError((err) =>
      // invalid_grant: the issuer ended the session (signed out elsewhere, idle or max lifespan).
      end(
        err?.error === "invalid_grant"
          ? "Your session has ended (signed out elsewhere or timed out)."
          : `Your session could not be renewed: ${err?.message ?? "the sign-in service did not answer"}.`,
      ),
    );
    // Timers of a hidden or sleeping tab may run late: the token can expire before its renewal ran.
    // One renewal then, before saying the session is over.
    manager.events.addAccessTokenExpired(() => {
      if (state.status !== "signed-in") return;
      manager.signinSilent().catch(() => end("Your session has expired."));
    });
  }

  /** Handles a return from the issuer, else picks up this tab's session. */
  async function resume() {
    try {
      setUp();
    } catch (err) {
      set({ status: "signed-out", message: `Sign-in is unavailable: ${err.message}.` });
      return;
    }
    const params = new URLSearchParams(location.search);
    const fromIssuer = params.has("state") || params.has("error");
    try {
      if (params.has("code") || params.has("error")) {
        await manager.signinRedirectCallback();
      } else if (params.has("state")) {
        await manager.signoutRedirectCallback();
        set({ status: "signed-out", message: "You have signed out." });
        return;
      }
    } catch (err) {
      set({ status: "signed-out", message: `Sign-in did not complete: ${err.message}.` });
      return;
    } finally {
      // The code and state are single-use: a reload must not replay them.
      if (fromIssuer) history.replaceState(history.state, "", location.pathname);
    }
    const user = await manager.getUser();
    if (user && !user.expired) return signedIn(user);
    if (user?.refresh_token) {
      try {
        return signedIn(await manager.signinSilent());
      } catch {
        return end("Your session has ended.");
      }
    }
    set({ status: "signed-out" });
  }

  /** Never leaves the page "checking": whatever fails, the shopper can still sign in. */
  const start = () =>
    resume().catch((err) =>
      set({ status: "signed-out", message: `Sign-in failed: ${err?.message ?? err}.` }),
    );

  return {
    start,
    end,
    get state() {
      return state;
    },
    /** Calls `listener(state)` on every change. */
    subscribe(listener) {
      listeners.add(listener);
    },
    /** The current access token, or undefined when not signed in. */
    async token() {
      if (state.status !== "signed-in") return undefined;
      const user = await manager.getUser();
      return user && !user.expired ? user.access_token : undefined;
    },
    signIn: async () => manager?.signinRedirect(),
    /**
     * Ends the session at the issuer (end-session endpoint) and comes back here. The library sends
     * a `state` (checked on return) only when there is state data: the return is then recognised.
     */
    signOut: async () => manager?.signoutRedirect({ state: "signed-out" }),
  };
}
