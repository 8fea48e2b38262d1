// A Hono app behind the auth middleware, verifying against the local Keycloak: the stack-tier auth
// tests' subject.
import * as v from "valibot";
import { createBaseApp } from "../../functions/shared/app.ts";
import {
  type AuthConfig,
  authFields,
  createAuth,
  createKeySource,
  ownerOf,
} from "../../functions/shared/auth/index.ts";
import { parseEnv } from "../../functions/shared/config.ts";
import { createLogger } from "../../functions/shared/logging.ts";
import { createRegistry } from "../../functions/shared/metrics.ts";
import { localIssuer } from "../../harness/keycloak.ts";

export function keycloakApp(opts: { cooldownMs?: number } = {}) {
  const config: AuthConfig = parseEnv(v.object(authFields), { AUTH_ISSUER: localIssuer() });
  const lines: string[] = [];
  const logger = createLogger("info", {}, (l) => lines.push(l));
  const keys = createKeySource({ issuer: config.AUTH_ISSUER, timeoutMs: 2000, ...opts });
  const auth = createAuth(config, { logger, keys });
  const app = createBaseApp({ logger, registry: createRegistry({ service: "t", defaultMetrics: false }) });
  app.get("/me", auth.require("purchases:read"), (c) => c.json(c.var.identity));
  app.get("/buys/:user_id", auth.require("purchases:read"), (c) =>
    c.json({ user: ownerOf(c.var.identity, c.req.param("user_id"), { adminScope: "purchases:admin" }) }),
  );
  const get = (path: string, token: string) =>
    app.request(path, { headers: { Authorization: `Bearer ${token}` } });
  return { app, get, lines, auth };
}
