// buy's app on the local broker for its stack and serial tests (functions/buy/*.test.ts): a fresh
// topic, a producer and an admin client of its own, and the app wired as server.ts wires it (the
// producer's delivery timeout under the request's deadline, a broker-listening check), verifying
// tokens of this process's test issuer (harness/auth-fixture.ts).
import { after, before } from "node:test";
import { createApp } from "../functions/buy/app.ts";
import { deliveryTimeoutMs } from "../functions/buy/outcome.ts";
import { anyBrokerListening, createAdmin, createKafka, createProducer } from "../functions/shared/kafka.ts";
import { createLogger } from "../functions/shared/logging.ts";
import { createRegistry } from "../functions/shared/metrics.ts";
import { authFor, testAuth } from "./auth-fixture.ts";
import { unique } from "./names.ts";
import { testConfig } from "./stack.ts";
import { freshTopic } from "./topics.ts";

/** The deadline of a produce (KAFKA_TIMEOUT_MS) in these tests. */
export const BUY_TIMEOUT_MS = 2000;

/** Registers the suite's before/after hooks; the app and its topic are there once `before` ran. */
export function buyOnBroker(prefix: string) {
  const kafka = createKafka(testConfig(), unique(prefix));
  const producer = createProducer(kafka, { timeoutMs: deliveryTimeoutMs(BUY_TIMEOUT_MS) });
  const admin = createAdmin(kafka);
  let state: { topic: string; app: ReturnType<typeof createApp> } | undefined;
  before(async () => {
    const topic = await freshTopic(prefix);
    await Promise.all([producer.connect(), admin.connect()]);
    const app = createApp({
      logger: createLogger("silent"),
      auth: authFor((await testAuth()).env),
      registry: createRegistry({ service: "buy", defaultMetrics: false }),
      producer,
      admin,
      topic,
      timeoutMs: BUY_TIMEOUT_MS,
      brokersListening: () => anyBrokerListening(testConfig().KAFKA_BOOTSTRAP_SERVERS, 500),
    });
    state = { topic, app };
  });
  after(async () => {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  });
  const get = () => {
    if (!state) throw new Error("buy's app is made in the suite's before hook");
    return state;
  };
  return {
    get topic() {
      return get().topic;
    },
    get app() {
      return get().app;
    },
    /** `Authorization: Bearer …` of a shopper `user` (named `name`) of the test issuer. */
    headersFor: async (user: string, name?: string) =>
      (await testAuth()).headers(user, name === undefined ? {} : { name }),
    /**
     * POST /buy with a JSON body (a string is sent as it is), as the shopper the body names (its
     * `user_id` and `username`, when strings; else a fixed one) unless `headers` has Authorization.
     */
    buy: async (body: unknown, headers: Record<string, string> = {}) => {
      const named = (k: string) => {
        const value = (body as Record<string, unknown> | null)?.[k];
        return typeof value === "string" ? value : undefined;
      };
      const caller =
        "Authorization" in headers
          ? {}
          : await (await testAuth()).headers(named("user_id") ?? "buy-fixture-shopper", {
              name: named("username") ?? "buy-fixture-shopper",
            });
      return get().app.request("/buy", {
        method: "POST",
        headers: { "Content-Type": "application/json", ...caller, ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    },
  };
}
