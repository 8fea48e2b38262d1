// The statistics dashboard over ALL of a user's purchases (the API computes them): tiles for the
// numbers, bars for the top items. A tile whose value changed flashes once.
import { h } from "./dom.js";
import { formatCount, formatDateTime, formatMoney } from "./format.js";

const dash = "—";
const money = (n) => (n === null || n === undefined ? dash : formatMoney(n));

function tiles(stats) {
  const s = stats ?? {};
  return [
    { key: "count", label: "Purchases", value: s.count == null ? dash : formatCount(s.count) },
    { key: "total", label: "Total spent", value: money(s.total_spent) },
    { key: "average", label: "Average price", value: money(s.average_price) },
    { key: "min", label: "Cheapest", value: money(s.min_price) },
    { key: "max", label: "Priciest", value: money(s.max_price) },
    {
      key: "last",
      label: "Last purchase",
      value: s.last_purchase_at ? formatDateTime(s.last_purchase_at) : dash,
      sub: s.first_purchase_at ? `First: ${formatDateTime(s.first_purchase_at)}` : undefined,
    },
  ];
}

export function createStatsView(container) {
  let previous = new Map();

  function topItems(stats) {
    const items = stats?.top_items ?? [];
    const most = Math.max(1, ...items.map((i) => i.count));
    return h(
      "div",
      { class: "stat stat-top", "data-stat": "top" },
      h("p", { class: "stat-label", id: "top-items-label", text: "Top items" }),
      items.length === 0
        ? h("p", { class: "muted small", text: "Nothing bought yet." })
        : h(
            "ol",
            { class: "top-items", "aria-labelledby": "top-items-label" },
            items.map((item) => {
              const bar = h("span", { class: "bar", "aria-hidden": "true" });
              bar.style.setProperty("--share", String(item.count / most));
              return h(
                "li",
                {},
                h("span", { class: "top-name", text: item.item_name }),
                h("span", {
                  class: "top-meta",
                  text: `${formatCount(item.count)} × · ${formatMoney(item.total)}`,
                }),
                bar,
              );
            }),
          ),
    );
  }

  return {
    render(stats) {
      const next = new Map();
      const nodes = tiles(stats).map((t) => {
        next.set(t.key, t.value);
        const changed = stats && previous.has(t.key) && previous.get(t.key) !== t.value;
        return h(
          "div",
          { class: changed ? "stat flash" : "stat", "data-stat": t.key },
          h("p", { class: "stat-label", text: t.label }),
          h("p", { class: "stat-value", text: t.value }),
          t.sub ? h("p", { class: "stat-sub", text: t.sub }) : null,
        );
      });
      previous = stats ? next : new Map();
      container.replaceChildren(h("div", { class: "stat-tiles" }, nodes), topItems(stats));
    },
  };
}
