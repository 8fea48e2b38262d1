// Keyboard shortcuts (b, r, /, ?) and the help overlay. None fire while the user types in a field,
// with Ctrl/Alt/Meta held, or while the help is open (Esc closes it: <dialog> does that itself).

const TYPING = "input, textarea, select, [contenteditable]:not([contenteditable='false'])";

export function isTyping(target) {
  return target instanceof Element && target.closest(TYPING) !== null;
}

export function createHelp(dialog, openButton) {
  let returnFocus;
  function open() {
    if (dialog.open) return;
    returnFocus = document.activeElement;
    dialog.showModal();
  }
  dialog.addEventListener("close", () => {
    if (returnFocus instanceof HTMLElement && returnFocus.isConnected) returnFocus.focus();
  });
  dialog.addEventListener("click", (event) => {
    // A click on the backdrop lands on the dialog itself, outside its content box.
    const box = dialog.getBoundingClientRect();
    const outside =
      event.clientX < box.left ||
      event.clientX > box.right ||
      event.clientY < box.top ||
      event.clientY > box.bottom;
    if (event.target === dialog && outside) dialog.close();
  });
  for (const button of dialog.querySelectorAll("[data-close]"))
    button.addEventListener("click", () => dialog.close());
  openButton.addEventListener("click", open);
  return { open, dialog };
}

/** actions: key -> function, e.g. { b: buy, "?": help.open }. */
export function installShortcuts(actions, help) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (help.dialog.open || isTyping(event.target)) return;
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    if (!event.repeat) action();
  });
}
