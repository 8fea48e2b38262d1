// The signed-in shopper's history and statistics, kept live: one GET of the first page every second while
// the tab is visible (see poller.js for why polling), a burst right after a buy, "Load more" pages
// with the API's cursor, and an error box with Retry that clears itself when the API answers again.
import { byId, clearBox, errorBox } from "./dom.js";
import { formatCount, formatTime } from "./format.js";
import { renderHistory, renderHistorySkeleton, renderNoUser } from "./history.js";
import { createPoller } from "./poller.js";
import { mergePurchases } from "./purchases.js";
import { createStatsView } from "./stats.js";

const PAGE_SIZE = 20;

export function createDashboard(api) {
  const el = {
    history: byId("history"),
    stats: byId("stats"),
    error: byId("data-error"),
    live: byId("live"),
    liveText: byId("live").querySelector(".live-text"),
    count: byId("history-count"),
    more: byId("load-more"),
    moreError: byId("load-more-error"),
    who: byId("active-user"),
    main: byId("main"),
  };
  const statsView = createStatsView(el.stats);
  let user;
  let state;
  // Bumped on every change of shopper, so that answers for the previous one are dropped.
  let generation = 0;
  const poller = createPoller(poll);

  function reset() {
    state = { purchases: [], stats: undefined, nextCursor: null, loadedMore: false, shown: "" };
  }

  function render(fresh) {
    const shown = `${state.purchases.map((p) => p.id).join()}|${JSON.stringify(state.stats)}`;
    if (shown === state.shown) return;
    state.shown = shown;
    renderHistory(el.history, state.purchases, fresh);
    statsView.render(state.stats);
    const total = state.stats?.count ?? 0;
    el.count.textContent = total ? `${formatCount(state.purchases.length)} of ${formatCount(total)}` : "";
    el.more.hidden = !state.nextCursor;
  }

  function apply(page, fromLoadMore) {
    const before = new Set(state.purchases.map((p) => p.id));
    const first = state.stats === undefined;
    state.purchases = mergePurchases(state.purchases, page.purchases);
    // The oldest position loaded so far is where the next page starts; duplicates merge away.
    if (fromLoadMore || !state.loadedMore) state.nextCursor = page.next_cursor;
    if (fromLoadMore) state.loadedMore = true;
    state.stats = page.stats;
    const added = page.purchases.map((p) => p.id).filter((id) => !before.has(id));
    render(first || fromLoadMore ? new Set() : new Set(added));
  }

  function setLive(mode, text) {
    el.live.dataset.state = mode;
    el.liveText.textContent = text;
  }

  async function poll() {
    if (!user) return;
    const gen = generation;
    el.live.dataset.busy = "true";
    el.history.setAttribute("aria-busy", "true");
    try {
      const page = await api.history(user.user_id, { limit: PAGE_SIZE });
      if (gen !== generation) return;
      apply(page, false);
      clearBox(el.error, el.main);
      setLive("ok", `Live · updated ${formatTime(new Date())}`);
    } catch (err) {
      if (gen !== generation) return;
      errorBox(el.error, err, () => poller.refresh(), "Could not load the purchase history");
      setLive("error", "Paused");
      if (state.stats === undefined) el.history.replaceChildren();
      throw err;
    } finally {
      if (gen === generation) {
        delete el.live.dataset.busy;
        el.history.setAttribute("aria-busy", "false");
      }
    }
  }

  async function loadMore() {
    if (!user || !state.nextCursor || el.more.getAttribute("aria-busy") === "true") return;
    const gen = generation;
    el.more.setAttribute("aria-busy", "true");
    el.more.textContent = "Loading…";
    el.moreError.hidden = true;
    try {
      const page = await api.history(user.user_id, { limit: PAGE_SIZE, cursor: state.nextCursor });
      if (gen === generation) apply(page, true);
      el.more.textContent = "Load more";
      // The last page hides the button; the focus moves on to the list instead of being lost.
      if (el.more.hidden && document.activeElement === el.more) el.history.focus();
    } catch (err) {
      el.moreError.textContent = `Could not load more: ${err.message}`;
      el.moreError.hidden = false;
      el.more.textContent = "Try again";
    } finally {
      el.more.setAttribute("aria-busy", "false");
    }
  }
  el.more.addEventListener("click", loadMore);

  reset();
  renderNoUser(el.history);
  statsView.render(undefined);

  const signedOutText = el.who.textContent;

  return {
    /** Shows `next` ({username, user_id}: the token's name and `sub`) and polls their history. */
    setUser(next) {
      el.who.textContent = `Purchases of ${next.username}`;
      el.live.hidden = false;
      if (user && next.user_id === user.user_id) {
        user = next;
        return;
      }
      generation += 1;
      user = next;
      reset();
      clearBox(el.error);
      el.more.hidden = true;
      el.moreError.hidden = true;
      el.count.textContent = "";
      renderHistorySkeleton(el.history);
      statsView.render(undefined);
      el.stats.setAttribute("aria-busy", "true");
      setLive("idle", "Loading…");
      poller.start().finally(() => el.stats.setAttribute("aria-busy", "false"));
    },
    /** Signed out or the session ended: nothing of the last shopper stays on screen. */
    clear() {
      if (!user) return;
      generation += 1;
      user = undefined;
      poller.stop();
      reset();
      clearBox(el.error);
      el.who.textContent = signedOutText;
      el.live.hidden = true;
      el.more.hidden = true;
      el.moreError.hidden = true;
      el.count.textContent = "";
      renderNoUser(el.history);
      statsView.render(undefined);
    },
    refresh: () => (user ? poller.refresh() : Promise.resolve()),
    /** Polls quickly until the purchase shows up in the history. */
    awaitPurchase: (id) => poller.burst(() => state.purchases.some((p) => p.id === id)),
  };
}
