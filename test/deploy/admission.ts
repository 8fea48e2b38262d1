// Runs scripts/admission (Knative's admission checks, offline) over manifests. The checker is a Go
// program built once per version of its sources and cached outside the work tree.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { stringify } from "yaml";
import { ROOT } from "../../harness/root.ts";
import type { Obj } from "./manifests.ts";

export interface Verdict {
  kind: string;
  namespace?: string;
  name: string;
  verdict: "admitted" | "refused" | "skipped";
  /** Upstream's message when refused. */
  message?: string;
}

let bin: string | undefined;

/** Builds the checker if its cache is cold (its progress line goes to stderr) and returns its path. */
export function checkerPath(): string {
  if (bin) return bin;
  const script = join(ROOT, "scripts/admission/admission.sh");
  const r = spawnSync("bash", [script, "--build-only"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) throw new Error(`${script} --build-only failed (exit ${r.status})`);
  bin = r.stdout.trim();
  return bin;
}

/** One verdict per document of `input` (objects, or YAML text). */
export function admit(input: Obj[] | string): Verdict[] {
  // YAML 1.1, as the Go side reads it: there an unquoted on/off/yes/no is a boolean, so such strings
  // must be written quoted (YAML 1.2's stringify leaves `value: off` bare).
  const text =
    typeof input === "string" ? input : input.map((o) => stringify(o, { version: "1.1" })).join("---\n");
  const r = spawnSync(checkerPath(), ["-json"], { input: text, encoding: "utf8" });
  if (r.status !== 0 && r.status !== 1) throw new Error(`admission checker failed: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Verdict);
}

/** The message an object is refused with; fails the caller's assertion when it is admitted. */
export function refusal(obj: Obj): string {
  const [v] = admit([obj]);
  return v?.verdict === "refused" ? (v.message ?? "") : `not refused: ${JSON.stringify(v)}`;
}
