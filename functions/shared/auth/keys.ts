// Where the verifier gets the issuer's public keys: jose's createRemoteJWKSet (keys cached, refetched
// on an unknown `kid` at most once per cooldown), found through the issuer's discovery document when
// no JWKS address is configured, with one addition jose lacks: when the issuer cannot be reached, the
// keys fetched last keep verifying. jose alone refetches once its cache is older than cacheMaxAge and
// then fails every request, even for tokens signed by a key it holds, for as long as the issuer is
// down. A key that is not among them while the issuer is down cannot be checked either way: that is
// IssuerUnavailable (a 503), never an accept.

import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from "jose";
import type { Logger } from "../logging.ts";

/** The issuer (its discovery document or its JWKS) could not be reached or answered garbage. */
export class IssuerUnavailable extends Error {}

export interface KeySourceOptions {
  issuer: string;
  /** The JWKS address; without it, the discovery document's `jwks_uri`. */
  jwksUrl?: string;
  timeoutMs: number;
  /** After a failed fetch, how long requests use the last keys without trying again. */
  cooldownMs?: number;
  /** How long fetched keys are used before they are fetched again (jose's cacheMaxAge). */
  cacheMaxAgeMs?: number;
  onUnavailable?: (err: unknown) => void;
}

export type KeySource = ((header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>) & {
  /** Fetches the keys now (start-up warm-up); rejects with IssuerUnavailable. */
  warm(): Promise<void>;
};

/** A failure to reach the issuer, as opposed to a token whose key it does not publish. */
const isFetchFailure = (err: unknown) =>
  err instanceof IssuerUnavailable ||
  err instanceof errors.JWKSTimeout ||
  err instanceof errors.JWKSInvalid ||
  err instanceof TypeError || // fetch: connection refused, DNS, reset
  (err instanceof errors.JOSEError && err.code === errors.JOSEError.code); // non-200, not JSON

export function createKeySource(opts: KeySourceOptions): KeySource {
  // 5 s, not jose's 30 s: the cooldown is also how long a token signed by a key the issuer has just
  // started using is refused (401) after our last fetch; one fetch per 5 s bounds the load that
  // tokens with made-up kids can put on the issuer all the same.
  const { timeoutMs, cooldownMs = 5_000, cacheMaxAgeMs = 600_000 } = opts;
  let remote: ReturnType<typeof createRemoteJWKSet> | undefined;
  let last: { keys: JSONWebKeySet; local: ReturnType<typeof createLocalJWKSet> } | undefined;
  let downUntil = 0;

  const jwksUrl = async () => opts.jwksUrl ?? (await discoverJwksUrl(opts.issuer, timeoutMs));

  const fromLastKeys = async (header: JWSHeaderParameters, token: FlattenedJWSInput, cause?: unknown) => {
    const keys = remote?.jwks();
    if (!keys) throw new IssuerUnavailable("the issuer's keys have never been fetched", { cause });
    if (last?.keys !== keys) last = { keys, local: createLocalJWKSet(keys) };
    try {
      return await last.local(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey)
        throw new IssuerUnavailable("the token's key is not cached and the issuer is unreachable", { cause });
      throw err;
    }
  };

  // One discovery at a time: the requests that arrive while it runs wait for the same answer.
  let discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const remoteSet = async () => {
    if (remote) return remote;
    discovering ??= jwksUrl()
      .then((url) => {
        remote = createRemoteJWKSet(new URL(url), {
          timeoutDuration: timeoutMs,
          cooldownDuration: cooldownMs,
          cacheMaxAge: cacheMaxAgeMs,
        });
        return remote;
      })
      .finally(() => {
        discovering = undefined;
      });
    return discovering;
  };

  const getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    if (Date.now() < downUntil) return fromLastKeys(header, token);
    try {
      return await (await remoteSet())(header, token);
    } catch (err) {
      if (!isFetchFailure(err)) throw err;
      downUntil = Date.now() + cooldownMs;
      opts.onUnavailable?.(err);
      return fromLastKeys(header, token, err);
    }
  };

  const warm = async () => {
    try {
      await (await remoteSet()).reload();
    } catch (err) {
      throw isFetchFailure(err)
        ? new IssuerUnavailable("cannot fetch the issuer's keys", { cause: err })
        : err;
    }
  };

  return Object.assign(getKey, { warm });
}

/** OpenID Connect Discovery 1.0 section 4: the document at the issuer + /.well-known/openid-configuration. */
async function discoverJwksUrl(issuer: string, timeoutMs: number): Promise<string> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  let doc: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    doc = (await res.json()) as typeof doc;
  } catch (cause) {
    throw new IssuerUnavailable(`cannot read the discovery document ${url}`, { cause });
  }
  // Section 4.3: the document's issuer must be the one asked for, or it speaks for someone else.
  if (doc.issuer !== issuer)
    throw new IssuerUnavailable(`${url} names another issuer: ${String(doc.issuer)}`);
  if (typeof doc.jwks_uri !== "string" || !URL.canParse(doc.jwks_uri))
    throw new IssuerUnavailable(`${url} has no valid jwks_uri`);
  return doc.jwks_uri;
}

/**
 * Fetches the issuer's keys ahead of the first request (start-up): true when they came, false when
 * the issuer cannot be reached yet (logged; they are fetched at the first token then).
 */
export async function warmKeys(keys: KeySource, logger: Logger, whose: string): Promise<boolean> {
  try {
    await keys.warm();
    return true;
  } catch (err) {
    logger.warn(`cannot fetch ${whose} keys yet; they are fetched at the first token`, {
      err: (err as Error).message,
    });
    return false;
  }
}
