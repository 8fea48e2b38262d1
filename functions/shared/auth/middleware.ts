// The one bearer-token middleware every function uses (issue 25). Wiring is one line per route:
//
//   const auth = createAuth(config, { logger });
//   app.post("/buy", auth.require("purchases:write"), handler);          // c.var.identity
//   const userId = ownerOf(c.var.identity, c.req.param("user_id"));       // 403 for another user
//
// Answers follow RFC 6750 section 3 through the error catalog: no token 401 with a bare challenge,
// a bad one 401 invalid_token, a missing scope 403 insufficient_scope, the issuer unreachable for a
// key we do not hold 503 with Retry-After. With AUTH_MODE=off every request passes with identity null.
import type { MiddlewareHandler } from "hono";
import { AppError, BEARER_CHALLENGE } from "../errors.ts";
import type { Logger } from "../logging.ts";
import type { AuthConfig } from "./config.ts";
import { createKeySource, type KeySource, warmKeys } from "./keys.ts";
import {
  createTokenVerifier,
  type Identity,
  InvalidToken,
  IssuerUnavailable,
  type TokenVerifier,
} from "./verifier.ts";

/** The Hono variables the middleware sets: the verified identity, null when AUTH_MODE=off. */
export type AuthEnv = { Variables: { identity: Identity | null } };

export interface Auth {
  /** Requires a valid access token carrying every scope named; sets c.var.identity. */
  require(...scopes: string[]): MiddlewareHandler<AuthEnv>;
  /** Fetches the issuer's keys ahead of the first request; false (logged) if it cannot. */
  warm(): Promise<boolean>;
  readonly verify: TokenVerifier;
}

// Far above any real access token (Keycloak's are ~1 KB) and below Node's 16 KB header limit: a
// bigger one is refused before any parsing.
const MAX_TOKEN_CHARS = 8192;
// RFC 6750 section 3: error_description is %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash).
const describe = (s: string) =>
  s
    .replace(/["\\]/g, "'")
    .replace(/[^\x20-\x7e]/g, "?")
    .slice(0, 200);

export const Unauthorized = {
  missing: () => new AppError("missing_token", "a bearer token is required (Authorization: Bearer <token>)"),
  invalid: (reason: string) =>
    new AppError("invalid_token", `invalid token: ${reason}`, {
      headers: {
        "WWW-Authenticate": `${BEARER_CHALLENGE}, error="invalid_token", error_description="${describe(reason)}"`,
      },
    }),
  scope: (scopes: string[]) =>
    new AppError("insufficient_scope", `the token lacks the scope ${scopes.join(" ")}`, {
      headers: {
        "WWW-Authenticate": `${BEARER_CHALLENGE}, error="insufficient_scope", scope="${scopes.join(" ")}"`,
      },
    }),
  unavailable: () =>
    new AppError(
      "identity_provider_unavailable",
      "the identity provider is unreachable and the token's key is not cached",
    ),
};

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 section 2.1); undefined for none. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+(\S*)\s*$/i.exec(header);
  // Another scheme (Basic, ...) carries no bearer token: the answer is the bare challenge.
  if (!m) {
    if (/^Bearer\b/i.test(header)) throw Unauthorized.invalid("the Authorization header is malformed");
    return undefined;
  }
  const token = m[1] as string;
  if (token === "") throw Unauthorized.invalid("the bearer token is empty");
  if (token.length > MAX_TOKEN_CHARS) throw Unauthorized.invalid("the bearer token is too long");
  return token;
}

export function createAuth(config: AuthConfig, deps: { logger: Logger; keys?: KeySource }): Auth {
  const { logger } = deps;
  if (config.AUTH_MODE === "off") {
    logger.warn("AUTH_MODE=off: tokens are not verified, anyone may read and buy as anyone (demo only)");
    const open: MiddlewareHandler<AuthEnv> = async (c, next) => {
      c.set("identity", null);
      await next();
    };
    const verify: TokenVerifier = () => Promise.reject(new Error("AUTH_MODE=off"));
    return { require: () => open, warm: async () => true, verify };
  }
  const keys =
    deps.keys ??
    createKeySource({
      issuer: config.AUTH_ISSUER,
      jwksUrl: config.AUTH_JWKS_URL,
      timeoutMs: config.AUTH_JWKS_TIMEOUT_MS,
      onUnavailable: (err) => logger.warn("cannot fetch the issuer's keys", { err: String(err) }),
    });
  const verify = createTokenVerifier(config, keys);
  return {
    verify,
    require:
      (...scopes) =>
      async (c, next) => {
        const token = bearerToken(c.req.header("Authorization"));
        if (token === undefined) throw Unauthorized.missing();
        let identity: Identity;
        try {
          identity = await verify(token);
        } catch (err) {
          if (err instanceof InvalidToken) throw Unauthorized.invalid(err.message);
          if (err instanceof IssuerUnavailable) {
            logger.warn("identity provider unavailable", {
              err: err.message,
              cause: String(err.cause ?? ""),
            });
            throw Unauthorized.unavailable();
          }
          throw err;
        }
        const missing = scopes.filter((s) => !identity.scopes.has(s));
        if (missing.length > 0) throw Unauthorized.scope(missing);
        c.set("identity", identity);
        await next();
      },
    warm: () => warmKeys(keys, logger, "the issuer's"),
  };
}
