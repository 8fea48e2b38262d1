// Runs a function's image the way a Knative revision runs it: read-only root filesystem, uid 1000,
// no capabilities, no privilege escalation, PORT set, the ConfigMap's environment
// (knative/base/config.yaml) plus the Secret's key and the Service's own env, K_SERVICE /
// K_REVISION / K_CONFIGURATION set. The engine and its settings come from
// scripts/container-engine.sh (docker with a daemon, else podman with this sandbox's quirks), asked
// once per process, so the shell scripts and this harness cannot disagree. Host networking: the container reaches
// the local Kafka and FerretDB on 127.0.0.1, and listens on a port of the host's; that is the one
// difference from a pod, where PORT is 8080 in a network namespace of its own.
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { freePort } from "./ports.ts";
import { type Component, captureOutput } from "./process.ts";
import { ROOT } from "./root.ts";

// Containers are labelled with the checkout that started them: cleaning up after a run removes its
// own, not those of another clone or worktree testing on the same machine.
const LABEL = `purchases.local=${ROOT}`;

let picked: string | undefined;

/** docker or podman, as scripts/container-engine.sh picks it (its CONTAINERS_CONF exported here). */
export function engine(): string {
  if (picked) return picked;
  const r = spawnSync(
    "bash",
    [
      "-c",
      'source scripts/container-engine.sh && pick_container_engine && echo "$CONTAINER_ENGINE $CONTAINERS_CONF"',
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  const [name, conf] = r.stdout.trim().split(" ");
  if (r.status !== 0 || !name)
    throw new Error("no container engine: install docker, or podman (scripts/install-system.sh)");
  process.env.CONTAINER_ENGINE = name;
  if (conf) process.env.CONTAINERS_CONF = conf;
  picked = name;
  return name;
}
const PREFIX = process.env.IMAGE_PREFIX ?? "purchases";
const TAG = process.env.IMAGE_TAG ?? "local";
export const imageOf = (fn: string) => `${PREFIX}/${fn}:${TAG}`;

/** The environment a revision of `fn` gets from its manifest: ConfigMap, Secret key, own env. */
export function manifestEnv(root: string, fn: string): Record<string, string> {
  const config = parse(readFileSync(join(root, "knative/base/config.yaml"), "utf8"));
  const service = parse(readFileSync(join(root, `knative/base/services/${fn}.yaml`), "utf8"));
  const container = service.spec.template.spec.containers[0];
  const own = Object.fromEntries(
    (container.env ?? [])
      .filter((e: { value?: string }) => e.value !== undefined)
      .map((e: { name: string; value: string }) => [e.name, e.value]),
  );
  return { ...config.data, MONGODB_URI: "mongodb://set-by-the-secret/purchases", ...own };
}

let counter = 0;

/**
 * `run` arguments for a container as a Knative revision's: read-only root filesystem, uid 1000, no
 * capabilities, no privilege escalation, host network; `extra` goes before the image (volumes).
 */
export function runArgs(opts: {
  name: string;
  image: string;
  env: Record<string, string>;
  command?: string[];
  extra?: string[];
}): string[] {
  return [
    "run",
    "--rm",
    "--name",
    opts.name,
    "--label",
    LABEL,
    "--read-only",
    // podman mounts a writable tmpfs on /tmp, /run and /var/tmp of a read-only container; a pod
    // with readOnlyRootFilesystem has none.
    ...(engine() === "podman" ? ["--read-only-tmpfs=false"] : []),
    "--user",
    "1000:1000",
    "--cap-drop",
    "ALL",
    "--security-opt",
    "no-new-privileges",
    "--network",
    "host",
    ...Object.entries(opts.env).flatMap(([k, v]) => ["--env", `${k}=${v}`]),
    ...(opts.extra ?? []),
    opts.image,
    ...(opts.command ?? []),
  ];
}

export interface ContainerOptions {
  root: string;
  /** The function: its image is imageOf(fn), its manifest knative/base/services/<fn>.yaml. */
  fn: string;
  /** On top of the manifest's environment. */
  env?: Record<string, string>;
  /** The host port it listens on (PORT); 0 picks a free one. */
  port?: number;
  onLine?: (name: string, line: string) => void;
  /** Another image (a pulled one: by digest) and command. */
  image?: string;
  command?: string[];
  /** Without the manifest's environment (the bench's floor, a bare node:http server). */
  bare?: boolean;
  /** Engine options before `run` and `kill`: podman's --root/--runroot of an image store of its own. */
  engineArgs?: string[];
  /** `run` arguments before the image (volumes). */
  extra?: string[];
}

/** Starts `fn`'s image in the foreground (its output is the component's); resolves once it runs. */
export async function startContainer(opts: ContainerOptions): Promise<Component> {
  const { root, fn, env = {}, onLine } = opts;
  const hostPort = opts.port || (await freePort());
  const name = `purchases-${fn}-${process.pid}-${counter++}`;
  const revision = `${fn}-00001`;
  const image = opts.image ?? imageOf(fn);
  const fullEnv: Record<string, string> = {
    ...(opts.bare ? {} : manifestEnv(root, fn)),
    ...env,
    PORT: String(hostPort),
    K_SERVICE: fn,
    K_CONFIGURATION: fn,
    K_REVISION: revision,
  };
  const args = runArgs({ name, image, env: fullEnv, command: opts.command, extra: opts.extra });
  const global = opts.engineArgs ?? [];
  const child = spawn(engine(), [...global, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const output = captureOutput(child, fn, onLine);
  return {
    name: fn,
    entry: image,
    container: name,
    port: hostPort,
    url: `http://127.0.0.1:${hostPort}`,
    child,
    output,
    respawn: () => startContainer({ ...opts, port: hostPort }),
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      // The engine delivers the signal to the container's PID 1 (node); `run` exits with its code.
      spawnSync(engine(), [...global, "kill", "--signal", signal, name], { stdio: "ignore" });
      const [code] = await exited;
      return code as number | null;
    },
  };
}

/** Removes the containers this checkout's harness started that a killed test run left behind. */
export function removeLeftoverContainers() {
  const ids = spawnSync(engine(), ["ps", "-aq", "--filter", `label=${LABEL}`], { encoding: "utf8" });
  const list = ids.stdout.split("\n").filter(Boolean);
  if (list.length > 0) spawnSync(engine(), ["rm", "-f", ...list], { stdio: "ignore" });
}
