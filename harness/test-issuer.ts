// A small token issuer for the unit-tier auth tests and the bench: key pairs made with jose, its
// discovery document and JWKS served over real HTTP by node:http on 127.0.0.1 port 0, and access
// tokens signed on demand (any claim or header overridable, to make the bad ones).
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";

export const AUDIENCE = "purchases";

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(kid: string, alg = "RS256"): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

export interface TestIssuer {
  issuer: string;
  jwksUrl: string;
  /** The keys the JWKS publishes; change it to rotate. */
  published: SigningKey[];
  /** How many times the JWKS was fetched. */
  fetches(): number;
  /** Signs an access token with `key` (default the first published one). */
  sign(claims?: JWTPayload, opts?: { key?: SigningKey; header?: Record<string, unknown> }): Promise<string>;
  /** Stops answering (connections refused), keeping the address for up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestIssuer(keys: SigningKey[]): Promise<TestIssuer> {
  let server: Server | undefined;
  let port = 0;
  let fetches = 0;
  const state = { published: keys };
  const base = () => `http://127.0.0.1:${port}`;
  const issuer = () => `${base()}/realms/test`;

  const up = async () => {
    server = createServer((req, res) => {
      if (req.url === "/realms/test/.well-known/openid-configuration") {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ issuer: issuer(), jwks_uri: `${issuer()}/certs` }));
      } else if (req.url === "/realms/test/certs") {
        fetches++;
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ keys: state.published.map((k) => k.publicJwk) }));
      } else {
        res.writeHead(404).end();
      }
    });
    server.listen(port, "127.0.0.1");
    // A test process must not stay alive for its issuer alone: the children that fetch its keys,
    // and the test's own requests, keep the event loop busy while it matters.
    server.unref();
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  };
  const down = async () => {
    if (!server) return;
    server.closeAllConnections();
    server.close();
    await once(server, "close");
    server = undefined;
  };
  await up();

  return {
    get issuer() {
      return issuer();
    },
    get jwksUrl() {
      return `${issuer()}/certs`;
    },
    get published() {
      return state.published;
    },
    set published(k) {
      state.published = k;
    },
    fetches: () => fetches,
    sign: (claims = {}, { key = state.published[0], header = {} } = {}) => {
      if (!key) throw new Error("no signing key");
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer(),
        aud: AUDIENCE,
        sub: "user-1",
        preferred_username: "alice",
        scope: "openid purchases:read purchases:write",
        typ: "Bearer",
        jti: randomUUID(), // every token distinct, as an issuer's are
        iat: now,
        exp: now + 300,
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header })
        .sign(key.privateKey);
    },
    down,
    up,
    close: down,
  };
}
