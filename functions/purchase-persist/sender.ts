// Sender identity (Knative Eventing feature `authentication-oidc`, issue 25): with it on, the
// KafkaSource sends `Authorization: Bearer <token>` whose `aud` is its `spec.sink.audience` and
// whose `sub` is its OIDC service account, `system:serviceaccount:<ns>:<name>-oidc-<group>-<kind>`.
// A Knative Service sink checks it itself (knative/serving#14428: Serving publishes no audience).
// The token is verified by the shared verifier (functions/shared/auth) with a config mapped from
// SENDER_*: a Kubernetes service-account token has no `scope` and no payload `typ`, and the
// verifier demands neither (it requires `exp` and the id claim; scopes are only checked by
// auth.require), so no option is needed for it.
//
// Answers: no token 401 missing_token, a bad one 401 invalid_token, a subject not in SENDER_SUBJECTS
// 403 forbidden (all dead-lettered by the KafkaSource, never stored), the issuer unreachable for a key
// not cached 503 identity_provider_unavailable with Retry-After (retried).
import type { MiddlewareHandler } from "hono";
import type { Registry } from "prom-client";
import { Counter } from "prom-client";
import * as v from "valibot";
import {
  type AuthConfig,
  bearerToken,
  createKeySource,
  createTokenVerifier,
  InvalidToken,
  IssuerUnavailable,
  type KeySource,
  Unauthorized,
  warmKeys,
} from "../shared/auth/index.ts";
import { kinds } from "../shared/config.ts";
import { AppError } from "../shared/errors.ts";
import type { Logger } from "../shared/logging.ts";

export const senderFields = {
  /** `on`: every event must carry a valid sender token (the cluster's `authentication-oidc`). */
  SENDER_AUTH: v.optional(kinds.oneOf(["on", "off"]), "off"),
  /** The issuer of the sender's tokens: in a cluster, the Kubernetes API server's service-account issuer. */
  SENDER_ISSUER: v.optional(kinds.httpUrl()),
  /** Its JWKS address; unset, the `jwks_uri` of its discovery document. */
  SENDER_JWKS_URL: v.optional(kinds.httpUrl()),
  /** The `aud` the token must carry: the KafkaSource's `spec.sink.audience`. */
  SENDER_AUDIENCE: v.optional(v.pipe(kinds.text(), v.minLength(1, "must not be empty")), "purchase-persist"),
  /** The `sub` values allowed to send: in a cluster the source's OIDC service account (docs/deploy.md). */
  SENDER_SUBJECTS: v.optional(kinds.list()),
};

type SenderFields = v.InferOutput<v.ObjectSchema<typeof senderFields, undefined>>;

/** The cross-variable rule a schema of these fields must check: on needs an issuer and subjects. */
export const senderRequirements = <T extends SenderFields>() =>
  v.check(
    (c: T) =>
      c.SENDER_AUTH === "off" || (c.SENDER_ISSUER !== undefined && (c.SENDER_SUBJECTS ?? []).length > 0),
    "SENDER_AUTH=on needs SENDER_ISSUER (the sender tokens' issuer) and SENDER_SUBJECTS (the comma list of allowed sender subjects)",
  );

/** The shared verifier's config for sender tokens: the issuer, audience and algorithms of SENDER_*. */
export function senderAuthConfig(c: SenderFields & { SENDER_ISSUER: string }): AuthConfig {
  return {
    AUTH_MODE: "on",
    AUTH_ISSUER: c.SENDER_ISSUER,
    AUTH_JWKS_URL: c.SENDER_JWKS_URL,
    AUTH_AUDIENCE: c.SENDER_AUDIENCE,
    AUTH_USER_ID_CLAIM: "sub",
    AUTH_NAME_CLAIMS: [],
    // AUTH_ALGORITHMS' default: asymmetric only (a Kubernetes issuer signs with RS256 or ES256).
    AUTH_ALGORITHMS: ["RS256", "PS256", "ES256", "EdDSA"],
    AUTH_CLOCK_TOLERANCE_S: 30,
    AUTH_JWKS_TIMEOUT_MS: 3000,
  };
}

export interface SenderCheck {
  /** The middleware for the event route; passes everything when SENDER_AUTH=off. */
  middleware: MiddlewareHandler;
  /** Fetches the issuer's keys ahead of the first event; false (logged) if it cannot. */
  warm(): Promise<boolean>;
}

// A refusal is logged the first time for its cause and then once a minute at most, with the count
// since: a source sending thousands of events with a bad token must not flood the log (the access
// log already has one line per request).
const LOG_EVERY_MS = 60_000;

export function createSenderCheck(
  config: SenderFields,
  deps: { logger: Logger; registry: Registry; keys?: KeySource },
): SenderCheck {
  const { logger } = deps;
  if (config.SENDER_AUTH === "off" || config.SENDER_ISSUER === undefined) {
    return { middleware: (_c, next) => next(), warm: async () => true };
  }
  const auth = senderAuthConfig({ ...config, SENDER_ISSUER: config.SENDER_ISSUER });
  const subjects = new Set(config.SENDER_SUBJECTS ?? []);
  const keys =
    deps.keys ??
    createKeySource({
      issuer: auth.AUTH_ISSUER,
      jwksUrl: auth.AUTH_JWKS_URL,
      timeoutMs: auth.AUTH_JWKS_TIMEOUT_MS,
    });
  const verify = createTokenVerifier(auth, keys);
  const refused = new Counter({
    name: "purchases_sender_refused_total",
    help: "Events refused for their sender identity (SENDER_AUTH=on), by reason",
    labelNames: ["reason"],
    registers: [deps.registry],
  });
  const REASONS = ["missing_token", "invalid_token", "forbidden", "identity_provider_unavailable"] as const;
  for (const reason of REASONS) refused.inc({ reason }, 0);
  const lastLogged = new Map<string, { at: number; since: number }>();
  const refuse = (reason: (typeof REASONS)[number], detail: string, err: AppError): never => {
    refused.inc({ reason });
    const now = Date.now();
    const seen = lastLogged.get(reason);
    if (!seen || now - seen.at >= LOG_EVERY_MS) {
      logger.warn("event refused: sender identity", {
        reason,
        detail,
        ...(seen ? { refusedSinceLastLine: seen.since + 1 } : {}),
      });
      lastLogged.set(reason, { at: now, since: 0 });
    } else seen.since++;
    throw err;
  };
  logger.info("sender identity on", {
    issuer: auth.AUTH_ISSUER,
    audience: auth.AUTH_AUDIENCE,
    subjects: [...subjects],
  });

  const middleware: MiddlewareHandler = async (c, next) => {
    let token: string | undefined;
    try {
      token = bearerToken(c.req.header("Authorization"));
    } catch (err) {
      return refuse("invalid_token", (err as Error).message, err as AppError);
    }
    if (token === undefined) return refuse("missing_token", "no bearer token", Unauthorized.missing());
    let subject: string;
    try {
      subject = (await verify(token)).userId;
    } catch (err) {
      if (err instanceof InvalidToken)
        return refuse("invalid_token", err.message, Unauthorized.invalid(err.message));
      if (err instanceof IssuerUnavailable)
        return refuse(
          "identity_provider_unavailable",
          `${err.message}: ${String(err.cause ?? "")}`,
          Unauthorized.unavailable(),
        );
      throw err;
    }
    if (!subjects.has(subject))
      return refuse(
        "forbidden",
        `subject ${subject} is not in SENDER_SUBJECTS`,
        new AppError("forbidden", `the sender ${subject} may not send events here`),
      );
    await next();
  };
  return {
    middleware,
    warm: () => warmKeys(keys, logger, "the sender issuer's"),
  };
}
