// Micro-figure of the auth middleware (issue 25): CPU per request of the function's base app with
// `auth.require(scope)` verifying a valid RS256 (or --alg ES256) access token, against the same app
// and handler with no auth, in one process and one run. In-process (`app.request`), so the figure is
// the middleware's own cost, without HTTP parsing; contenders alternate in rounds so that a burst of
// load from other processes hits both alike. The JWKS comes from harness/test-issuer.ts over HTTP and
// is cached after the first request, as in a running function.
//
//   npm run -s bench:auth [-- --requests 5000 --rounds 7 --alg RS256]
import { parseArgs } from "node:util";
import * as v from "valibot";
import { createBaseApp } from "../../functions/shared/app.ts";
import { authFields, createAuth } from "../../functions/shared/auth/index.ts";
import { parseEnv } from "../../functions/shared/config.ts";
import { createLogger } from "../../functions/shared/logging.ts";
import { createRegistry } from "../../functions/shared/metrics.ts";
import { makeKey, startTestIssuer } from "../../harness/test-issuer.ts";
import { median } from "./stats.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "5000" },
    rounds: { type: "string", default: "7" },
    alg: { type: "string", default: "RS256" },
  },
});
const requests = Number(values.requests);
const rounds = Number(values.rounds);

const issuer = await startTestIssuer([await makeKey("bench", values.alg)]);
const logger = createLogger("silent");
const config = parseEnv(v.object(authFields), { AUTH_ISSUER: issuer.issuer });

function appWith(auth: boolean) {
  const app = createBaseApp({
    logger,
    registry: createRegistry({ service: "bench", defaultMetrics: false }),
  });
  const handler = (c: { json: (o: unknown) => Response }) => c.json({ ok: true });
  if (auth) app.get("/r", createAuth(config, { logger }).require("purchases:read"), handler);
  else app.get("/r", handler);
  return app;
}

type App = ReturnType<typeof appWith>;
const same = await issuer.sign();
// Distinct tokens (each signed ahead, outside the measure): every request pays a full verification.
const fresh = await Promise.all(Array.from({ length: requests * (rounds + 1) }, () => issuer.sign()));
let next = 0;
const contenders: Record<string, { app: App; token: () => string }> = {
  bare: { app: appWith(false), token: () => same },
  "auth, same token (remembered)": { app: appWith(true), token: () => same },
  "auth, a new token each request": {
    app: appWith(true),
    token: () => fresh[next++ % fresh.length] as string,
  },
};

/** CPU µs per request (user + system) over `n` sequential requests. */
async function cpuPerRequest({ app, token }: { app: App; token: () => string }, n: number) {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const res = await app.request("/r", { headers: { Authorization: `Bearer ${token()}` } });
    if (res.status !== 200) throw new Error(`answer ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

for (const c of Object.values(contenders)) await cpuPerRequest(c, Math.min(requests, 500)); // warm-up, JWKS fetched
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, c] of Object.entries(contenders)) samples[name]?.push(await cpuPerRequest(c, requests));
  const line = Object.entries(samples).map(([k, s]) => `${k} ${s.at(-1)?.toFixed(1)} µs`);
  console.error(`[bench auth] round ${r + 1}/${rounds}: ${line.join("; ")}`);
}
await issuer.close();

const bare = median(samples.bare ?? []);
console.log(
  `auth middleware, ${values.alg}, ${rounds} rounds x ${requests} requests, median CPU per request (in-process):`,
);
for (const [name, s] of Object.entries(samples)) {
  const m = median(s);
  const vs = name === "bare" ? "baseline" : `+${(m - bare).toFixed(1)} µs, x${(m / bare).toFixed(2)}`;
  console.log(`  ${name.padEnd(32)} ${m.toFixed(1).padStart(7)} µs  (${vs})`);
}
