// The per-object rule no gateway can apply (a JWT policy compares claims with fixed values, never
// with the path): a user reads and writes only their own data (OWASP API1:2023, Broken Object Level
// Authorization). A service token with the admin scope may act for any user.
import { AppError } from "../errors.ts";
import type { Identity } from "./verifier.ts";

/** The path's alias for the caller: GET /getAllUserBuys/me. */
export const ME = "me";

/**
 * The user id a request may act for: `requested` itself when it is the caller's, the caller's id for
 * `me`, any id for a token with `adminScope`; otherwise 403. With AUTH_MODE=off (identity null) the
 * requested id as given, since there is no caller to compare with.
 */
export function ownerOf(
  identity: Identity | null,
  requested: string,
  opts: { adminScope?: string } = {},
): string {
  if (identity === null) {
    if (requested === ME)
      throw new AppError("validation_failed", `"${ME}" needs authentication (AUTH_MODE=off)`);
    return requested;
  }
  if (requested === ME || requested === identity.userId) return identity.userId;
  if (opts.adminScope !== undefined && identity.scopes.has(opts.adminScope)) return requested;
  throw new AppError("forbidden", "this data belongs to another user");
}
