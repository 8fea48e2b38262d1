// The token verification's variables, defined once with the project's config kinds; a function adds
// them to its schema with `functionConfig(names, authFields)` and hands the parsed object to
// createAuth. Defaults are the local stack's Keycloak (scripts/keycloak.sh).
import * as v from "valibot";
import { kinds } from "../config.ts";

/**
 * The asymmetric algorithms a token may be signed with. Never `none` nor HS*: with a shared-secret
 * algorithm a verifier that also holds the public key can be fooled into using it as the HMAC
 * secret (the algorithm-confusion attacks, e.g. CVE-2026-22817 in hono/jwk).
 */
export const ASYMMETRIC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "EdDSA",
] as const;

export const authFields = {
  // `off` serves the seeds' open contract, for a demo only: it must be set on purpose, and every
  // start logs a warning (createAuth).
  AUTH_MODE: v.optional(kinds.oneOf(["on", "off"]), "on"),
  /** The issuer, exactly as the tokens' `iss` says it. */
  AUTH_ISSUER: v.optional(kinds.httpUrl(), "http://127.0.0.1:8180/realms/purchases"),
  /** The JWKS address; unset, it is the `jwks_uri` of the issuer's discovery document. */
  AUTH_JWKS_URL: v.optional(kinds.httpUrl()),
  /** The `aud` value an access token must carry for these functions. */
  AUTH_AUDIENCE: v.optional(v.pipe(kinds.text(), v.minLength(1, "must not be empty")), "purchases"),
  /** The claim that is the user id: `sub`, the OIDC standard's only stable identifier. */
  AUTH_USER_ID_CLAIM: v.optional(v.pipe(kinds.text(), v.minLength(1, "must not be empty")), "sub"),
  /** The claims tried in turn for the display name. */
  AUTH_NAME_CLAIMS: v.optional(kinds.list(), "preferred_username,name"),
  AUTH_ALGORITHMS: v.optional(
    v.pipe(
      kinds.list(),
      v.minLength(1, "must list at least one algorithm"),
      v.check(
        (algs) => algs.every((a) => (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a)),
        `must list only asymmetric algorithms: ${ASYMMETRIC_ALGORITHMS.join(", ")}`,
      ),
    ),
    "RS256,PS256,ES256,EdDSA",
  ),
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. */
  AUTH_CLOCK_TOLERANCE_S: v.optional(kinds.wholeNumber(0, 300), "30"),
  /** How long one JWKS or discovery fetch may take. */
  AUTH_JWKS_TIMEOUT_MS: v.optional(kinds.wholeNumber(100, 60_000), "3000"),
};

const AuthConfigSchema = v.object(authFields);
export type AuthConfig = v.InferOutput<typeof AuthConfigSchema>;
/** The names of the auth variables, for a function's config schema and the table of docs/authentication.md. */
export const AUTH_VARIABLES = Object.keys(authFields) as (keyof typeof authFields)[];
