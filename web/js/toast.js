// Toasts in one aria-live region: screen readers announce each one as it is added.
import { h } from "./dom.js";

export function createToaster(region, { timeoutMs = 5000, max = 3 } = {}) {
  return {
    show(message, kind = "success") {
      const toast = h(
        "div",
        { class: `toast toast-${kind}` },
        h("span", { class: "toast-icon", "aria-hidden": "true", text: kind === "success" ? "✓" : "!" }),
        h("p", { class: "toast-text", text: message }),
      );
      region.append(toast);
      while (region.children.length > max) region.firstElementChild?.remove();
      setTimeout(() => {
        toast.classList.add("is-leaving");
        setTimeout(() => toast.remove(), 250);
      }, timeoutMs);
    },
  };
}
