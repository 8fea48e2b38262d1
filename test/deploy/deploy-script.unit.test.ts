// scripts/deploy.sh without a cluster or a container engine: stand-ins for docker, kubectl and kn
// record how they are called (kubectl's local `kustomize` is passed to the real one, if any).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { listFunctions, ROOT } from "../../harness/root.ts";

const realKubectl = spawnSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" }).stdout.trim();
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A bin folder with recording stand-ins; `engineWorks` decides whether `docker info` succeeds. */
function fakeTools({ engineWorks = true, kn = false } = {}) {
  const bin = mkdtempSync(join(tmpdir(), "deploy-bin-"));
  dirs.push(bin);
  const log = join(bin, "calls.log");
  writeFileSync(log, "");
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  // Both engines, so that a real one installed in /usr/bin is never reached.
  tool("docker", engineWorks ? "exit 0" : 'echo "Cannot connect to the Docker daemon" >&2; exit 1');
  tool("podman", engineWorks ? "exit 0" : 'echo "Cannot connect to Podman" >&2; exit 1');
  tool(
    "kubectl",
    realKubectl
      ? `[ "$1" = kustomize ] && exec "${realKubectl}" "$@"\nexit 0`
      : `[ "$1" = kustomize ] && exit 1\nexit 0`,
  );
  if (kn) tool("kn", "exit 0");
  return { bin, calls: () => readFileSync(log, "utf8").trim().split("\n").filter(Boolean) };
}

function deploy(args: string[], bin: string, env: Record<string, string> = {}) {
  const r = spawnSync("bash", [join(ROOT, "scripts/deploy.sh"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    // The stand-ins first, then node and the system's basic tools.
    env: {
      PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: process.env.HOME ?? "/tmp",
      ...env,
    },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("scripts/deploy.sh", () => {
  const names = listFunctions();

  test("When it runs with --dry-run, then it prints every build, push, apply and wait and runs none", () => {
    const tools = fakeTools();
    const r = deploy(["--dry-run", "--tag", "t1", "registry.example.com:5000/team/"], tools.bin);
    assert.equal(r.code, 0, r.err);
    for (const fn of names) {
      const image = `registry.example.com:5000/team/purchases/${fn}:t1`;
      assert.match(
        r.out,
        new RegExp(
          `docker build -f Dockerfile --build-arg FUNCTION=${fn} --build-arg NODE_IMAGE=\\S+ -t ${image} \\.`,
        ),
        fn,
      );
      assert.ok(r.out.includes(`docker push -q ${image}`), fn);
      if (realKubectl)
        assert.ok(r.out.includes(`newName: registry.example.com:5000/team/purchases/${fn}`), fn);
    }
    assert.match(r.out, /\+ kubectl apply -k \S+/);
    assert.match(r.out, /kubectl -n purchases wait ksvc --all --for=condition=Ready/);
    assert.match(r.out, /Secret purchases\/mongodb-secret must exist/);
    const changing = tools.calls().filter((c) => !/^docker info|^kubectl kustomize/.test(c));
    assert.deepEqual(changing, [], "a dry run calls only `docker info` and `kubectl kustomize`");
  });

  test("When kn is installed, then each Knative Service is applied with kn service apply", () => {
    const tools = fakeTools({ kn: true });
    const r = deploy(["--dry-run", "--no-build", "--tag", "t2", "localhost:5001"], tools.bin, {
      MONGODB_URI: "mongodb://user:s3cret@db:27017/purchases",
    });
    assert.equal(r.code, 0, r.err);
    for (const fn of names)
      assert.match(r.out, new RegExp(`kn service apply ${fn} -n purchases -f \\S+ksvc-${fn}\\.yaml`));
    assert.match(r.out, /kubectl apply -f \S+ -l app\.kubernetes\.io\/component\\?!=function/);
    assert.match(r.out, /create secret generic mongodb-secret --from-literal=MONGODB_URI=\*\*\*/);
    assert.ok(!r.out.includes("s3cret") && !r.err.includes("s3cret"), "the URI is never printed");
    assert.ok(!r.out.includes("docker build"), "--no-build builds nothing");
  });

  test("When --edge-jwt is given, then the deployed overlay is knative/overlays/edge-jwt with its SecurityPolicy", () => {
    const tools = fakeTools();
    const r = deploy(["--dry-run", "--no-build", "--edge-jwt", "--tag", "t3", "localhost:5001"], tools.bin);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\+ #\s+- \S*knative\/overlays\/edge-jwt$/m);
    assert.doesNotMatch(r.out, /knative\/base$/m);
    const plain = deploy(["--dry-run", "--no-build", "--tag", "t3", "localhost:5001"], tools.bin);
    assert.match(plain.out, /\+ #\s+- \S*knative\/base$/m, "without the flag: the base");
  });

  test("When --edge-jwt renders the manifests, then they hold the SecurityPolicy and the routes on Envoy Gateway's Gateway", {
    skip: !realKubectl && "kubectl (with built-in kustomize) not installed",
  }, () => {
    const tools = fakeTools();
    const out = join(tools.bin, "all.yaml");
    const r = deploy(
      ["--no-build", "--edge-jwt", "--render", out, "--tag", "t4", "localhost:5001"],
      tools.bin,
    );
    assert.equal(r.code, 0, r.err);
    const rendered = readFileSync(out, "utf8");
    assert.match(rendered, /kind: SecurityPolicy/);
    assert.match(rendered, /image: localhost:5001\/purchases\/buy:t4/);
    assert.doesNotMatch(rendered, /name: knative-gateway/);
  });

  test("When neither docker nor podman works, then it stops with a clear error before touching the cluster", () => {
    const tools = fakeTools({ engineWorks: false });
    const r = deploy(["registry.example.com/team"], tools.bin);
    assert.notEqual(r.code, 0);
    assert.match(r.err, /no working container engine: install docker or podman/);
    assert.deepEqual(
      tools.calls().filter((c) => c.startsWith("kubectl") && !c.startsWith("kubectl kustomize")),
      [],
    );
  });

  test("When no registry is given, then it prints its usage and exits 2", () => {
    const tools = fakeTools();
    const r = deploy([], tools.bin);
    assert.equal(r.code, 2);
    assert.match(r.err, /deploy\.sh \[--dry-run\]/);
  });
});
