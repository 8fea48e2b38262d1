// The shopper form: username and user id, checked with the API's rules (rules.js) with a message
// under each field, remembered in localStorage.
import { byId } from "./dom.js";
import { validateUser } from "./rules.js";

const STORAGE_KEY = "purchases.user";

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    if (typeof saved?.username === "string" && typeof saved?.user_id === "string") return saved;
  } catch {
    // Storage disabled or a bad value: start empty.
  }
  return undefined;
}

function save(user) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(user));
  } catch {
    // Private mode or full storage: the page still works, it just forgets.
  }
}

/** onChange(user) runs with a valid shopper: at start (if remembered) and on every switch. */
export function createUserForm(onChange) {
  const form = byId("user-form");
  const fields = {
    username: { input: byId("username"), error: byId("username-error") },
    user_id: { input: byId("user-id"), error: byId("user-id-error") },
  };
  // Messages show after the first attempt, then follow the typing.
  let checked = false;

  const values = () => ({ username: fields.username.input.value, user_id: fields.user_id.input.value });

  function show(errors) {
    for (const [name, { input, error }] of Object.entries(fields)) {
      const message = errors[name];
      input.setAttribute("aria-invalid", message ? "true" : "false");
      error.textContent = message ?? "";
      error.hidden = !message;
    }
  }

  /** Validates the fields; on success remembers and announces the shopper, else shows why. */
  function commit() {
    checked = true;
    const { user, errors, ok } = validateUser(values());
    show(errors);
    if (!ok) {
      const first = Object.keys(errors)[0];
      fields[first].input.focus();
      return undefined;
    }
    save(user);
    onChange(user);
    return user;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    commit();
  });
  form.addEventListener("input", () => {
    if (checked) show(validateUser(values()).errors);
  });

  const saved = load();
  if (saved && validateUser(saved).ok) {
    fields.username.input.value = saved.username;
    fields.user_id.input.value = saved.user_id;
    onChange(saved);
  }

  return { commit, focus: () => fields.username.input.focus() };
}
