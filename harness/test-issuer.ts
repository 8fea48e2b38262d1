// A small token issuer for the unit-tier auth tests and the bench: key pairs made with jose, its
// discovery document and JWKS served over real HTTP by node:http on 127.0.0.1 port 0, and access
// tokens signed on demand (any claim or header overridable, to make the bad ones). Its token endpoint
// answers the client-credentials grant (RFC 6749 section 4.4) for the clients added with addClient,
// as Keycloak's does: the local KafkaSource dispatcher's sender identity in the stack tests.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
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

/** A confidential client of the token endpoint and the token it gets. */
export interface TestClient {
  secret: string;
  /** The token's `sub` (Keycloak: the service account's user id). */
  sub: string;
  /** The token's `aud` (Keycloak: an audience mapper). */
  audience: string;
  /** The token's lifetime in seconds (`expires_in`). */
  ttlS: number;
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
  /** The client-credentials token endpoint. */
  tokenUrl: string;
  /** Registers a client of the token endpoint (replacing one of the same id). */
  addClient(id: string, client: TestClient): void;
  /** How many tokens the token endpoint has issued. */
  tokensIssued(): number;
  /** Stops answering (connections refused), keeping the address for up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestIssuer(keys: SigningKey[]): Promise<TestIssuer> {
  let server: Server | undefined;
  let port = 0;
  let fetches = 0;
  let issued = 0;
  const state = { published: keys };
  const clients = new Map<string, TestClient>();
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
      } else if (req.url === "/realms/test/protocol/openid-connect/token" && req.method === "POST") {
        tokenResponse(req).then(
          ({ status, body }) => {
            if (status === 200) issued++;
            res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
            res.end(JSON.stringify(body));
          },
          () => res.destroy(),
        );
      } else {
        res.writeHead(404).end();
      }
    });
    server.listen(port, "127.0.0.1");
    // A test process must not stay alive for its issuer alone: the children that fetch its keys,
    // and the test's own requests, keep the event loop busy while it matters. That goes for the
    // keep-alive connections a fetch leaves open too (seconds until they time out).
    server.unref();
    server.on("connection", (socket) => socket.unref());
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
  const sign = (
    claims: JWTPayload = {},
    { key = state.published[0], header = {} }: { key?: SigningKey; header?: Record<string, unknown> } = {},
  ) => {
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
  };

  /** RFC 6749 section 4.4.2 (grant), 2.3.1 (client_secret_basic or client_secret_post), 5.2 (errors). */
  const tokenResponse = async (req: IncomingMessage): Promise<{ status: number; body: unknown }> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
    if (form.get("grant_type") !== "client_credentials")
      return { status: 400, body: { error: "unsupported_grant_type" } };
    let [id, secret] = [form.get("client_id"), form.get("client_secret")];
    const basic = /^Basic (\S+)$/i.exec(req.headers.authorization ?? "");
    if (basic) {
      const [user = "", pass = ""] = Buffer.from(basic[1] ?? "", "base64")
        .toString("utf8")
        .split(":");
      [id, secret] = [decodeURIComponent(user), decodeURIComponent(pass)];
    }
    const client = id === null ? undefined : clients.get(id);
    if (!client || client.secret !== secret) return { status: 401, body: { error: "invalid_client" } };
    const access_token = await sign({
      sub: client.sub,
      aud: client.audience,
      azp: id,
      preferred_username: `service-account-${id}`,
      scope: "",
      exp: Math.floor(Date.now() / 1000) + client.ttlS,
    });
    return { status: 200, body: { access_token, token_type: "Bearer", expires_in: client.ttlS } };
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
    sign,
    get tokenUrl() {
      return `${issuer()}/protocol/openid-connect/token`;
    },
    addClient: (id, client) => {
      clients.set(id, client);
    },
    tokensIssued: () => issued,
    down,
    up,
    close: down,
  };
}
