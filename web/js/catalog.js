// The catalog (GET /items): what a random purchase can be.
import { byId, clearBox, errorBox, h } from "./dom.js";
import { formatCount, formatMoney } from "./format.js";

export function createCatalog(api, container, countEl) {
  // An error goes above a catalog already shown, which stays.
  const box = h("div", { class: "alert alert-top", role: "alert", hidden: true });
  const body = h("div");
  container.replaceChildren(box, body);
  let loaded = false;
  let failed = false;

  function render(items) {
    countEl.textContent = `${formatCount(items.length)} items`;
    body.replaceChildren(
      h(
        "ul",
        { class: "catalog-list" },
        items.map((item) =>
          h(
            "li",
            {},
            h("span", { class: "catalog-name", text: item.name }),
            h("span", { class: "chip", text: item.category }),
            h("span", { class: "catalog-price", text: formatMoney(item.price) }),
          ),
        ),
      ),
    );
  }

  async function load({ fresh = false } = {}) {
    container.setAttribute("aria-busy", "true");
    if (!loaded) {
      body.replaceChildren(
        h(
          "div",
          { class: "skeleton-list", "aria-hidden": "true" },
          Array.from({ length: 6 }, () => h("div", { class: "skeleton-row skeleton-thin" })),
        ),
      );
    }
    try {
      render(await api.items({ fresh }));
      loaded = true;
      failed = false;
      clearBox(box, byId("main"));
    } catch (err) {
      failed = true;
      errorBox(box, err, () => load({ fresh: true }), "Could not load the catalog");
      if (!loaded) body.replaceChildren();
    } finally {
      container.setAttribute("aria-busy", "false");
    }
  }

  return { load, reloadIfFailed: () => (failed ? load({ fresh: true }) : undefined) };
}
