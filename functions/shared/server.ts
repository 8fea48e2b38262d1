// Server bootstrap: the only place that listens. Reads config, builds the function, serves it on
// $PORT and shuts down as Knative expects: on SIGTERM stop accepting, finish in-flight requests,
// close clients, exit 0. Ready means able to serve: Knative routes traffic to a pod as soon as its
// readiness probe passes, so /readyz stays 503 until the function's clients are connected (liveness
// answers meanwhile), and a function that cannot get there within STARTUP_TIMEOUT_MS exits 1 so the
// kubelet restarts it (CrashLoopBackOff shows why) instead of sitting unready for ever.
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { Registry } from "prom-client";
import type * as v from "valibot";
import { ConfigError, type FunctionVariables, parseEnv } from "./config.ts";
import { exitNow } from "./exit.ts";
import { announceListening } from "./listening.ts";
import { createLogger, errorFields, type Logger } from "./logging.ts";
import { createRegistry } from "./metrics.ts";
import { startTracing } from "./tracing.ts";

export interface FunctionContext<C> {
  config: C;
  logger: Logger;
  registry: Registry;
  ready: () => boolean;
}

export interface BuiltFunction {
  // biome-ignore lint/suspicious/noExplicitAny: any Hono env/schema is fine to serve
  app: Hono<any, any, any>;
  /** Closes clients after the last request; called once on shutdown. */
  close?: () => Promise<void>;
  /** Settles once the function can do its job (its clients connected); /readyz is 503 until then. */
  ready?: Promise<unknown>;
}

/** Runs a function with the config its schema parses (functionConfig(): runFunction's variables and its own). */
export async function runFunction<C extends FunctionVariables>(
  name: string,
  configSchema: v.GenericSchema<unknown, C>,
  build: (ctx: FunctionContext<C>) => Promise<BuiltFunction>,
) {
  let config: C;
  try {
    config = parseEnv(configSchema);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${name}: configuration error: ${err.message}\n`);
    process.exit(1);
  }
  const service = config.K_SERVICE ?? name;
  const logger = createLogger(config.LOG_LEVEL, { service });
  const registry = createRegistry({ service, revision: config.K_REVISION });
  const tracing = await startTracing(service);
  let state: "starting" | "ready" | "stopping" = "starting";
  const built = await build({ config, logger, registry, ready: () => state === "ready" });

  const server = serve({ fetch: built.app.fetch, port: config.PORT }, (info: AddressInfo) => {
    logger.info("listening", { port: info.port, pid: process.pid });
    announceListening(info.port);
    const started = performance.now();
    const timer = setTimeout(() => {
      logger.error("not ready in time; exiting so that the platform restarts this function", {
        timeoutMs: config.STARTUP_TIMEOUT_MS,
      });
      exitNow();
    }, config.STARTUP_TIMEOUT_MS);
    timer.unref();
    void Promise.resolve(built.ready).then(() => {
      clearTimeout(timer);
      if (state !== "starting") return;
      state = "ready";
      logger.info("ready", { ms: Math.round(performance.now() - started) });
    });
  });

  server.once("error", (err: NodeJS.ErrnoException) => {
    const why = err.code === "EADDRINUSE" ? `port ${config.PORT} is already in use` : err.message;
    process.stderr.write(`${name}: cannot listen: ${why}\n`);
    process.exit(1);
  });

  const shutdown = async (signal: string) => {
    if (state === "stopping") return;
    state = "stopping";
    logger.info("shutting down", { signal });
    const force = setTimeout(() => {
      logger.error("shutdown timed out; exiting", { timeoutMs: config.SHUTDOWN_TIMEOUT_MS });
      exitNow();
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    // close() stops accepting and resolves once in-flight requests have finished; idle keep-alive
    // connections would hold it open, so they are closed now and again as requests complete.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const idle = "closeIdleConnections" in server ? () => server.closeIdleConnections() : () => {};
    idle();
    const sweep = setInterval(idle, 100);
    await closed;
    clearInterval(sweep);
    try {
      await built.close?.();
    } catch (err) {
      logger.warn("error while closing clients", errorFields(err));
    }
    await tracing.shutdown().catch((err) => logger.warn("could not export the last spans", errorFields(err)));
    logger.info("stopped");
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  return server;
}
