// The API's rules for a shopper, mirrored so the page can say what is wrong before sending
// anything: functions/shared/purchase.ts (UsernameSchema, UserIdSchema). test/web/rules.unit.test.ts
// checks both agree on the same inputs.

// Control characters, line/paragraph separators and bidi overrides, as the API rejects them.
const CONTROL = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const USER_ID_CHAR = /[A-Za-z0-9_.:-]/;
const MAX = 64;

/** A message for a bad username, or undefined. The API trims, so the page trims too. */
export function checkUsername(raw) {
  const value = raw.trim();
  if (value === "") return "Enter a username.";
  if (CONTROL.test(value)) return "Remove the control characters (tabs, line breaks…).";
  const length = [...value].length;
  if (length > MAX) return `Use at most ${MAX} characters (this one has ${length}).`;
  return undefined;
}

/** A message for a bad user id, or undefined. */
export function checkUserId(value) {
  if (value === "") return "Enter a user ID.";
  const bad = [...value].find((ch) => !USER_ID_CHAR.test(ch));
  if (bad !== undefined) {
    const shown = /\s/.test(bad) ? "Spaces are" : `“${bad}” is`;
    return `${shown} not allowed: use letters, digits and _ . : -`;
  }
  if (value.length > MAX) return `Use at most ${MAX} characters (this one has ${value.length}).`;
  return undefined;
}

/** The shopper as the API wants it, and a message per bad field. */
export function validateUser({ username, user_id }) {
  const errors = {};
  const usernameError = checkUsername(username);
  const userIdError = checkUserId(user_id);
  if (usernameError) errors.username = usernameError;
  if (userIdError) errors.user_id = userIdError;
  return { user: { username: username.trim(), user_id }, errors, ok: !usernameError && !userIdError };
}
