// The history table: item, price and time in the viewer's locale, newest first.
import { h } from "./dom.js";
import { formatDateAndTime, formatMoney } from "./format.js";

function when(iso) {
  const [day, time] = formatDateAndTime(iso);
  return h("time", { datetime: iso }, h("span", { text: `${day},` }), " ", h("span", { text: time }));
}

export function renderHistory(container, purchases, fresh = new Set()) {
  if (purchases.length === 0) {
    container.replaceChildren(
      h(
        "div",
        { class: "empty" },
        h("p", { class: "empty-title", text: "No purchases yet" }),
        h(
          "p",
          { class: "muted" },
          "Press ",
          h("kbd", { text: "B" }),
          " or the Buy button to make the first one.",
        ),
      ),
    );
    return;
  }
  const rows = purchases.map((p) =>
    h(
      "tr",
      { "data-id": p.id, class: fresh.has(p.id) ? "is-new" : undefined },
      h("td", { class: "item", text: p.item_name }),
      h("td", { class: "num", text: formatMoney(p.price) }),
      h("td", { class: "time" }, when(p.timestamp)),
    ),
  );
  container.replaceChildren(
    h(
      "table",
      { class: "table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col", text: "Item" }),
          h("th", { scope: "col", class: "num", text: "Price" }),
          h("th", { scope: "col", class: "time", text: "Time" }),
        ),
      ),
      h("tbody", {}, rows),
    ),
  );
}

/** Placeholder rows while the first page loads. */
export function renderHistorySkeleton(container, rows = 5) {
  container.replaceChildren(
    h(
      "div",
      { class: "skeleton-list", "aria-hidden": "true" },
      Array.from({ length: rows }, () => h("div", { class: "skeleton-row" })),
    ),
    h("p", { class: "visually-hidden", text: "Loading purchases…" }),
  );
}

export function renderNoUser(container) {
  container.replaceChildren(
    h(
      "div",
      { class: "empty" },
      h("p", { class: "empty-title", text: "Not signed in" }),
      h("p", { class: "muted", text: "Sign in to buy and to see your purchases and statistics." }),
    ),
  );
}
