// A real Prometheus (Debian's `prometheus`, installed by scripts/install-system.sh) scraping the
// running system as the cluster's PodMonitor does: every function and the dispatcher on /metrics,
// labelled `service` and `revision`, with the rules of knative/monitoring/prometheus-rule.yaml.
// Used by the run command (npm start -- --monitoring) and the monitoring tests.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse, stringify } from "yaml";
import { freePort } from "./ports.ts";
import { ROOT } from "./root.ts";

export const RULES_MANIFEST = join(ROOT, "knative/monitoring/prometheus-rule.yaml");

export interface ScrapeTarget {
  /** The Knative Service name (the `service` label). */
  name: string;
  /** Base URL; metrics at `${url}/metrics`. */
  url: string;
}

/** The PrometheusRule's spec.groups as a Prometheus rule file (the same rules as the cluster's). */
export function ruleFile(manifest = RULES_MANIFEST): string {
  const rule = parse(readFileSync(manifest, "utf8")) as { spec: { groups: unknown[] } };
  return stringify({ groups: rule.spec.groups }, { lineWidth: 0 });
}

export interface ConfigOptions {
  targets: ScrapeTarget[];
  ruleFiles: string[];
  /** Scrape and rule evaluation interval, e.g. "15s" (the PodMonitor's) or "1s" in tests. */
  interval?: string;
}

/**
 * prometheus.yml: one static target per component, labelled as the PodMonitor's relabelings label a
 * Knative pod (`service` from serving.knative.dev/service, `revision` from .../revision; locally
 * there is no revision, so `<name>-local`). honor_labels as in the PodMonitor: the labels a
 * function exports itself (K_SERVICE, K_REVISION) win.
 */
export function prometheusConfig({ targets, ruleFiles, interval = "15s" }: ConfigOptions): string {
  return stringify({
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    rule_files: ruleFiles,
    scrape_configs: [
      {
        job_name: "purchases",
        honor_labels: true,
        metrics_path: "/metrics",
        static_configs: targets.map((t) => ({
          targets: [new URL(t.url).host],
          labels: { service: t.name, revision: `${t.name}-local` },
        })),
      },
    ],
  });
}

export interface PrometheusOptions extends Omit<ConfigOptions, "ruleFiles"> {
  /** Config, rules and TSDB go here (created if missing). */
  dir: string;
  /** 0 (default): a free port. */
  port?: number;
  onLine?: (line: string) => void;
  timeoutMs?: number;
}

export interface Prometheus {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/** Writes the config and rules into `dir`, starts Prometheus, resolves once /-/ready answers 200. */
export async function startPrometheus(opts: PrometheusOptions): Promise<Prometheus> {
  mkdirSync(join(opts.dir, "data"), { recursive: true });
  const rules = join(opts.dir, "rules.yaml");
  writeFileSync(rules, ruleFile());
  const config = join(opts.dir, "prometheus.yml");
  writeFileSync(config, prometheusConfig({ ...opts, ruleFiles: [rules] }));
  const port = opts.port || (await freePort());
  const child = spawn(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(opts.dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const onData = (d: Buffer) => {
    out = (out + d.toString()).slice(-100_000);
    if (opts.onLine) for (const line of d.toString().split("\n")) if (line.trim()) opts.onLine(line);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const spawned = once(child, "spawn").then(
    () => undefined,
    (err: Error) => {
      throw new Error(`cannot run prometheus (scripts/install-system.sh installs it): ${err.message}`);
    },
  );
  const prometheus: Prometheus = {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
  await spawned;
  await waitReady(prometheus, opts.timeoutMs ?? 30_000);
  return prometheus;
}

async function waitReady(p: Prometheus, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.child.exitCode !== null || p.child.signalCode !== null)
      throw new Error(`prometheus exited before it was ready:\n${p.output()}`);
    const res = await fetch(`${p.url}/-/ready`, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
    await res?.body?.cancel();
    if (res?.status === 200) return;
    if (Date.now() > deadline) {
      await p.stop();
      throw new Error(`prometheus not ready within ${timeoutMs} ms:\n${p.output()}`);
    }
    await sleep(50);
  }
}

/** The components of a started system that serve /metrics: every function and the dispatcher. */
export function scrapeTargets(components: Iterable<{ name: string; url: string }>): ScrapeTarget[] {
  // The gateway stands in for the cluster's Gateway, which this PodMonitor does not scrape either.
  return [...components].filter((c) => c.name !== "gateway").map(({ name, url }) => ({ name, url }));
}

/** The run command's Prometheus: under .local/prometheus, scraping every 5 s, on PORT_PROMETHEUS or a free port. */
export function startLocalPrometheus(components: Iterable<{ name: string; url: string }>) {
  return startPrometheus({
    dir: join(ROOT, ".local/prometheus"),
    targets: scrapeTargets(components),
    interval: "5s",
    port: Number(process.env.PORT_PROMETHEUS ?? 0),
    onLine: (line) => console.log(`prometheus | ${line}`),
  });
}
