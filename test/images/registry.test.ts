// The images through a real registry (CNCF Distribution, scripts/registry.sh): scripts/deploy.sh
// builds and pushes every image and renders the manifests pinned by digest; each image they name
// resolves in the registry and pulls back into an empty image store.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { engine } from "../../harness/containers.ts";
import { listFunctions, ROOT } from "../../harness/root.ts";

const TAG = process.env.IMAGE_TAG ?? "local";
const dir = mkdtempSync(join(tmpdir(), "registry-test-"));
const rendered = join(dir, "all.yaml");
let images: string[] = [];

before(() => {
  const r = spawnSync("bash", ["scripts/deploy.sh", "--render", rendered, "--tag", TAG, "local"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  images = parseAllDocuments(readFileSync(rendered, "utf8"))
    .map((d) => d.toJS())
    .filter((o) => o?.kind === "Service" && o.apiVersion === "serving.knative.dev/v1")
    .flatMap((o) => o.spec.template.spec.containers.map((c: { image: string }) => c.image));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

describe("images through the local registry", () => {
  test("When the deploy renders the manifests, then every function's image is pinned by digest in the local registry", () => {
    const addr = spawnSync("bash", ["scripts/registry.sh", "addr"], {
      cwd: ROOT,
      encoding: "utf8",
    }).stdout.trim();
    assert.deepEqual(
      images.map((i) => i.replace(/@sha256:[0-9a-f]{64}$/, "")).sort(),
      listFunctions()
        .map((fn) => `${addr}/purchases/${fn}`)
        .sort(),
    );
  });

  test("When each image of the rendered manifests is asked of the registry, then its manifest and every blob resolve", async () => {
    for (const image of images) {
      const [, host, name, digest] = image.match(/^([^/]+)\/(.+)@(sha256:[0-9a-f]{64})$/) ?? [];
      const res = await fetch(`http://${host}/v2/${name}/manifests/${digest}`, {
        headers: { accept: MANIFEST_TYPES.join(", ") },
      });
      assert.equal(res.status, 200, image);
      assert.equal(res.headers.get("docker-content-digest"), digest, image);
      const manifest = (await res.json()) as { config: { digest: string }; layers: { digest: string }[] };
      for (const blob of [manifest.config, ...manifest.layers]) {
        const head = await fetch(`http://${host}/v2/${name}/blobs/${blob.digest}`, { method: "HEAD" });
        assert.equal(head.status, 200, `${image}: blob ${blob.digest}`);
      }
    }
  });

  test("When an image is pulled by its digest into an empty image store, then it arrives whole", (t) => {
    if (engine() !== "podman") {
      t.skip("an empty store of its own needs podman (--root)");
      return;
    }
    const store = mkdtempSync(join(tmpdir(), "registry-pull-"));
    try {
      const image = images.find((i) => i.includes("/purchases/buy@")) as string;
      const podman = (...args: string[]) =>
        spawnSync("podman", ["--root", join(store, "root"), "--runroot", join(store, "run"), ...args], {
          encoding: "utf8",
        });
      const pull = podman("pull", "-q", "--tls-verify=false", image);
      assert.equal(pull.status, 0, pull.stderr);
      const digests = podman("image", "inspect", "--format", "{{.Digest}}", image);
      assert.equal(digests.stdout.trim(), image.split("@")[1]);
      podman("rmi", "-a", "-f");
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  });
});
