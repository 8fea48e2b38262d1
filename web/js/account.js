// The Shopper card: who is signed in, Sign in / Sign out, and why a session ended.
import { byId, h } from "./dom.js";

export function createAccount(session) {
  const el = {
    status: byId("account-status"),
    notice: byId("session-notice"),
    signIn: byId("sign-in"),
    signOut: byId("sign-out"),
  };

  function render(state) {
    const signedIn = state.status === "signed-in";
    el.status.replaceChildren(
      ...(signedIn
        ? ["Signed in as ", h("strong", { class: "account-name", text: state.user.name })]
        : [state.status === "checking" ? "Checking your session…" : "You are not signed in."]),
    );
    el.notice.textContent = state.message ?? "";
    el.notice.hidden = !state.message;
    el.notice.dataset.kind = state.status === "ended" ? "ended" : "info";
    el.signIn.hidden = signedIn || state.status === "checking";
    el.signIn.textContent = state.status === "ended" ? "Sign in again" : "Sign in";
    el.signOut.hidden = !signedIn;
  }

  function busy(button, text) {
    button.setAttribute("aria-busy", "true");
    button.setAttribute("aria-disabled", "true");
    button.textContent = text;
  }

  /** Leaves for the issuer; if it cannot be reached, the button comes back with the reason. */
  function go(button, text, action) {
    if (button.getAttribute("aria-busy") === "true") return;
    const idle = button.textContent;
    busy(button, text);
    action().catch((err) => {
      button.removeAttribute("aria-busy");
      button.removeAttribute("aria-disabled");
      button.textContent = idle;
      el.notice.textContent = `The sign-in service cannot be reached: ${err?.message ?? err}.`;
      el.notice.dataset.kind = "error";
      el.notice.hidden = false;
    });
  }

  el.signIn.addEventListener("click", () => go(el.signIn, "Signing in…", session.signIn));
  el.signOut.addEventListener("click", () => go(el.signOut, "Signing out…", session.signOut));
  session.subscribe(render);
  render(session.state);

  return { focus: () => (el.signIn.hidden ? el.signOut : el.signIn).focus() };
}
