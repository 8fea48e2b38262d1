// Tiny DOM helpers. Text goes in through textContent only, never innerHTML: item names and
// usernames come from the API and must never become markup.

/** h("p", { class: "x", text: "hi" }, child, ...): an element with attributes and children. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") el.textContent = String(value);
    else if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el;
}

/**
 * An error box: the API's message and a Retry button. The same error again only re-arms the
 * button, so a focused Retry keeps the focus and screen readers are not told twice.
 */
export function errorBox(target, err, retry, what = "Something went wrong") {
  const text = `${what}. ${err.message}`;
  const shown = target.querySelector("[data-retry]");
  if (!target.hidden && shown && target.dataset.text === text) {
    shown.removeAttribute("aria-disabled");
    shown.textContent = "Retry";
    return;
  }
  target.dataset.text = text;
  target.replaceChildren(
    h(
      "div",
      { class: "alert-body" },
      h("strong", { text: `${what}.` }),
      " ",
      h("span", { class: "alert-message", text: err.message }),
    ),
    h(
      "button",
      {
        type: "button",
        class: "btn btn-secondary btn-small",
        "data-retry": true,
        onclick: (event) => {
          // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
          const button = event.currentTarget;
          if (button.getAttribute("aria-disabled") === "true") return;
          button.setAttribute("aria-disabled", "true");
          button.textContent = "Retrying…";
          retry();
        },
      },
      "Retry",
    ),
  );
  target.hidden = false;
}

/** A message without an action (e.g. "Sign in to buy."). */
export function noticeBox(target, text) {
  target.dataset.text = text;
  target.replaceChildren(h("div", { class: "alert-body" }, h("span", { class: "alert-message", text })));
  target.hidden = false;
}

/** Hides the box; if it had the focus, the focus goes to `focusAfter`. */
export function clearBox(target, focusAfter) {
  const hadFocus = target.contains(document.activeElement);
  target.hidden = true;
  delete target.dataset.text;
  if (hadFocus) focusAfter?.focus();
  target.replaceChildren();
}
