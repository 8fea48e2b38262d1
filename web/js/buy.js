// The Buy button: one purchase at a time as the signed-in shopper, a fresh Idempotency-Key per click and the same key when
// the user retries that click (a retry after a lost answer is then the same purchase, not two).
import { byId, clearBox, errorBox, noticeBox } from "./dom.js";
import { formatMoney } from "./format.js";

/** crypto.randomUUID needs a secure context; a plain-http ingress host is not one. */
function newKey() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The body names the shopper as the token does (`sub`, `preferred_username`): an API that takes
 * the shopper from the token accepts a body user_id equal to the caller's own, and one that does
 * not verify tokens (AUTH_MODE=off) still needs it.
 */
export function createBuyButton({ api, session, account, dashboard, toaster }) {
  const button = byId("buy");
  const label = button.querySelector(".btn-label");
  const errorEl = byId("buy-error");
  const idle = label.textContent;
  let busy = false;

  // aria-disabled rather than disabled: a disabled button would drop the keyboard focus.
  function setBusy(on) {
    busy = on;
    button.setAttribute("aria-disabled", String(on));
    button.setAttribute("aria-busy", String(on));
    label.textContent = on ? "Buying…" : idle;
  }

  async function attempt(user, key) {
    setBusy(true);
    try {
      const { purchase } = await api.buy(user, key);
      clearBox(errorEl, button);
      toaster.show(`Bought ${purchase.item_name} for ${formatMoney(purchase.price)}`);
      void dashboard.awaitPurchase(purchase.id);
    } catch (err) {
      errorBox(errorEl, err, () => !busy && attempt(user, key), "The purchase did not go through");
    } finally {
      setBusy(false);
    }
  }

  function buy() {
    if (busy) return;
    const { status, user } = session.state;
    if (status !== "signed-in") {
      noticeBox(errorEl, "Sign in to buy.");
      account.focus();
      return;
    }
    clearBox(errorEl, button);
    void attempt({ username: user.name, user_id: user.id }, newKey());
  }

  button.addEventListener("click", buy);
  return { buy };
}
