import * as v from "valibot";
import { authFields } from "../shared/auth/config.ts";
import { functionConfig, isHttpUrl, kinds } from "../shared/config.ts";

/** Where the page sends API calls: "" (its own origin, as behind the cluster ingress) or an http(s) URL. */
export const ApiBaseUrlSchema = v.pipe(
  kinds.text(),
  v.check((s) => s === "" || isHttpUrl(s), "must be empty or an absolute http(s) URL"),
  v.transform((s) => s.replace(/\/+$/, "")),
);

export const configSchema = functionConfig([], {
  API_BASE_URL: v.optional(ApiBaseUrlSchema, ""),
  /** The folder holding index.html; by default next to the bundle, or the repository's web/. */
  WEB_ROOT: v.optional(kinds.text()),
  /**
   * The issuer the page signs in with: the functions' AUTH_ISSUER (the tokens' `iss`), which is
   * also where the browser reaches it (Keycloak's --hostname pins one address for both).
   */
  AUTH_ISSUER: authFields.AUTH_ISSUER,
  /** The page's public client at the issuer (Authorization Code + PKCE). */
  WEB_CLIENT_ID: v.optional(v.pipe(kinds.text(), v.minLength(1, "must not be empty")), "purchases-web"),
});
