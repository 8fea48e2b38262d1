// The sender identity's token (Knative Eventing `authentication-oidc`): in a cluster the dispatcher
// sends a service-account token for the sink's audience (eventing-kafka-broker PR #3677, its
// TokenProvider); locally it is a client-credentials token (RFC 6749 section 4.4) of the realm's
// purchases-source client, whose audience mapper gives it `aud` = spec.sink.audience. One token is
// shared by every delivery: cached until shortly before it expires, one fetch at a time, dropped
// when the sink refuses it (delivery.ts fetches a new one before sending again).
import { decodeJwt } from "jose";
import { errorFields, type Logger } from "../../functions/shared/logging.ts";

export interface OidcClient {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface TokenSource {
  /** A token: the cached one while it is fresh enough, else a new one; `fresh` when fetched for this call. */
  get(): Promise<{ token: string; fresh: boolean }>;
  /** Forgets `token` if it is the cached one (the sink answered 401 to it). */
  invalidate(token: string): void;
}

/** The token endpoint could not be reached or refused the client. */
export class TokenUnavailable extends Error {}

/** Renewed this long before it expires (a fifth of its life for short-lived tokens). */
const RENEW_BEFORE_MS = 30_000;
/** The lifetime assumed when the answer says none (neither `expires_in` nor a JWT `exp`). */
const DEFAULT_LIFETIME_MS = 60_000;

export function clientCredentials(
  client: OidcClient,
  opts: { audience: string; timeoutMs: number; log: Logger; now?: () => number },
): TokenSource {
  const { log, now = Date.now } = opts;
  let cached: { token: string; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;
  let failing = false;
  // RFC 6749 section 2.3.1: client_secret_basic, id and secret form-urlencoded first.
  const basic = Buffer.from(
    `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`,
  ).toString("base64");

  const fetchToken = async (): Promise<string> => {
    const started = now();
    let res: Response;
    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    try {
      res = await fetch(client.tokenUrl, {
        method: "POST",
        headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "client_credentials" }),
        signal: AbortSignal.timeout(opts.timeoutMs),
        redirect: "manual",
      });
      body = (await res.json().catch(() => ({}))) as typeof body;
    } catch (err) {
      throw new TokenUnavailable(`token endpoint ${client.tokenUrl} unreachable: ${(err as Error).message}`);
    }
    if (res.status !== 200 || typeof body.access_token !== "string" || body.access_token === "") {
      const why = [body.error, body.error_description].filter((x) => typeof x === "string").join(": ");
      throw new TokenUnavailable(`token endpoint ${client.tokenUrl} answered ${res.status} ${why}`.trim());
    }
    const token = body.access_token;
    const lifetimeMs = lifetimeOf(token, body.expires_in, started);
    cached = { token, renewAt: started + lifetimeMs - Math.min(RENEW_BEFORE_MS, lifetimeMs / 5) };
    if (failing) log.info("token endpoint answering again", { tokenUrl: client.tokenUrl });
    failing = false;
    warnOnAudience(token);
    return token;
  };

  // Once: a token without the sink's audience is refused by the sink (401), whose answer says only
  // "invalid token"; this says why.
  let audienceWarned = false;
  const warnOnAudience = (token: string) => {
    if (audienceWarned) return;
    let aud: unknown;
    try {
      aud = decodeJwt(token).aud;
    } catch {
      return; // an opaque token: the sink decides
    }
    const auds = Array.isArray(aud) ? aud : [aud];
    if (auds.includes(opts.audience)) return;
    audienceWarned = true;
    log.warn("the token's audience is not the sink's: the sink will refuse it", {
      tokenAud: aud,
      sinkAudience: opts.audience,
      clientId: client.clientId,
    });
  };

  return {
    async get() {
      if (cached && now() < cached.renewAt) return { token: cached.token, fresh: false };
      pending ??= fetchToken()
        .catch((err: unknown) => {
          // Once per outage, not once per delivery: the deliveries retry on their own schedule.
          if (!failing) log.warn("cannot get a token for the sink; deliveries are retried", errorFields(err));
          failing = true;
          throw err;
        })
        .finally(() => {
          pending = undefined;
        });
      return { token: await pending, fresh: true };
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
  };
}

/** RFC 6749 section 5.1's `expires_in` (seconds), else the JWT's `exp`, else a minute. */
function lifetimeOf(token: string, expiresIn: unknown, obtainedAt: number): number {
  if (typeof expiresIn === "number" && expiresIn > 0) return expiresIn * 1000;
  try {
    const { exp } = decodeJwt(token);
    if (typeof exp === "number" && exp * 1000 > obtainedAt) return exp * 1000 - obtainedAt;
  } catch {
    // not a JWT
  }
  return DEFAULT_LIFETIME_MS;
}
