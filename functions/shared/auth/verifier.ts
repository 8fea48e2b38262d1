// Verifies one bearer token and says who it is for. Pure of HTTP: the middleware maps its failures
// to RFC 6750 answers. jose does the cryptography and the registered claims (RFC 7519 section 4.1);
// what is ours is the access-token rule and the identity taken from the claims.
import { errors, type JWTPayload, jwtVerify } from "jose";
import type { AuthConfig } from "./config.ts";
import { IssuerUnavailable, type KeySource } from "./keys.ts";

/** Who a verified access token speaks for. */
export interface Identity {
  /** The user id (AUTH_USER_ID_CLAIM, `sub` by default). */
  userId: string;
  /** A name to show, from AUTH_NAME_CLAIMS; the user id when none is present. */
  name: string;
  /** The scopes granted (RFC 8693 section 4.2: space-separated `scope`). */
  scopes: ReadonlySet<string>;
  /** The client the token was issued to (`azp`, or RFC 9068's `client_id`). */
  clientId?: string;
  /** The token itself, for forwarding it unchanged to the next service (never widened). */
  token: string;
  claims: JWTPayload;
}

/** The token is not one this API accepts; `reason` goes to the client as error_description. */
export class InvalidToken extends Error {}
export { IssuerUnavailable };

// Header `typ` values of access tokens: RFC 9068's `at+jwt`, or the generic `JWT` that Keycloak,
// Auth0 and Entra ID put on theirs. Anything else (`id_token+jwt`, `logout+jwt`, ...) is not one.
const ACCESS_TOKEN_TYP = new Set(["jwt", "at+jwt", "application/at+jwt"]);

export type TokenVerifier = (token: string) => Promise<Identity>;

// Verified tokens are remembered for a minute (never past their `exp`): a shopper's page sends the
// same token for every request of its 5-minute life, and an RS256 verification costs ~150 µs of CPU
// here (npm run bench:auth), 15% of a POST /buy. Only tokens that verified are kept, so junk cannot
// fill it. A minute adds nothing to what a revoked signing key already allows: the JWKS itself is
// cached for 10 minutes. A Map in insertion order, oldest dropped first, is all the bounding needed.
const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 5_000;

export function createTokenVerifier(config: AuthConfig, getKey: KeySource): TokenVerifier {
  const verified = new Map<string, { identity: Identity; until: number }>();
  const verify = verifyWith(config, getKey);
  return async (token) => {
    const now = Date.now();
    const hit = verified.get(token);
    if (hit && now < hit.until) return hit.identity;
    if (hit) verified.delete(token);
    const identity = await verify(token);
    const exp = typeof identity.claims.exp === "number" ? identity.claims.exp * 1000 : now;
    if (verified.size >= REMEMBER_MAX) verified.delete(verified.keys().next().value as string);
    verified.set(token, { identity, until: Math.min(exp, now + REMEMBER_MS) });
    return identity;
  };
}

function verifyWith(config: AuthConfig, getKey: KeySource): TokenVerifier {
  const options = {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    algorithms: config.AUTH_ALGORITHMS,
    clockTolerance: config.AUTH_CLOCK_TOLERANCE_S,
    requiredClaims: ["exp", config.AUTH_USER_ID_CLAIM],
  };

  return async (token) => {
    let payload: JWTPayload;
    let typ: string | undefined;
    try {
      ({
        payload,
        protectedHeader: { typ },
      } = await jwtVerify(token, getKey, options));
    } catch (err) {
      if (err instanceof IssuerUnavailable) throw err;
      throw new InvalidToken(reasonOf(err), { cause: err });
    }
    if (typ !== undefined && !ACCESS_TOKEN_TYP.has(typ.toLowerCase()))
      throw new InvalidToken(`not an access token (typ ${typ})`);
    // Keycloak marks its tokens in the payload: `Bearer` for access tokens, `ID`, `Refresh`, ...
    if (payload.typ !== undefined && payload.typ !== "Bearer")
      throw new InvalidToken(`not an access token (typ ${String(payload.typ)})`);
    const userId = payload[config.AUTH_USER_ID_CLAIM];
    if (typeof userId !== "string" || userId === "")
      throw new InvalidToken(`claim ${config.AUTH_USER_ID_CLAIM} is not a non-empty string`);
    const named = config.AUTH_NAME_CLAIMS.map((c) => payload[c]).find(
      (n) => typeof n === "string" && n !== "",
    );
    const scope = typeof payload.scope === "string" ? payload.scope : "";
    const clientId = [payload.azp, payload.client_id].find((c): c is string => typeof c === "string");
    return {
      userId,
      name: (named as string | undefined) ?? userId,
      scopes: new Set(scope.split(" ").filter(Boolean)),
      ...(clientId === undefined ? {} : { clientId }),
      token,
      claims: payload,
    };
  };
}

/** A short reason for error_description: which check failed, never the token or a key. */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "the token has expired";
  if (err instanceof errors.JWTClaimValidationFailed) return err.message; // e.g. unexpected "aud" claim value
  if (err instanceof errors.JOSEAlgNotAllowed) return "the signing algorithm is not allowed";
  if (err instanceof errors.JWKSNoMatchingKey) return "no key of the issuer matches the token";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the signature does not verify";
  if (err instanceof errors.JOSEError) return "the token is malformed";
  return "the token cannot be verified";
}
