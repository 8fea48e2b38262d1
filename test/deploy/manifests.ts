// The deployment manifests as data: every YAML document under knative/ and kafka-source/, with
// lookups by kind and name, and the kustomize build (kubectl's built-in kustomize) when available.
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { ROOT } from "../helpers.ts";

const MANIFEST_DIRS = ["knative", "kafka-source"];
export const NAMESPACE = "purchases";

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, checked by the schemas
export type Obj = Record<string, any>;
export interface Doc {
  file: string;
  index: number;
  obj: Obj;
}

export function yamlFiles(dirs = MANIFEST_DIRS): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== "node_modules") walk(rel);
      else if (/\.ya?ml$/.test(entry.name)) out.push(rel);
    }
  };
  for (const dir of dirs) walk(dir);
  return out.sort();
}

/** Parses one file's documents; throws with file and document number on a YAML error. */
export function parseFile(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(join(ROOT, file), "utf8"), { prettyErrors: true });
  return docs.flatMap((doc, index) => {
    const [error] = doc.errors;
    if (error) throw new Error(`${file} document ${index + 1}: ${error.message}`);
    const obj = doc.toJS() as Obj | null;
    return obj === null ? [] : [{ file, index, obj }];
  });
}

const isKustomization = (d: Doc) => d.obj.kind === "Kustomization";

/** Every Kubernetes object the manifests define (kustomization files excluded). */
export function loadObjects(): Doc[] {
  return yamlFiles()
    .flatMap(parseFile)
    .filter((d) => !isKustomization(d));
}

export const kustomizations = () => yamlFiles().flatMap(parseFile).filter(isKustomization);

export const ofKind = (docs: Doc[], apiVersion: string, kind: string) =>
  docs.filter((d) => d.obj.apiVersion === apiVersion && d.obj.kind === kind);

export const knativeServices = (docs: Doc[]) => ofKind(docs, "serving.knative.dev/v1", "Service");

export function find(docs: Doc[], apiVersion: string, kind: string, name: string): Obj | undefined {
  return ofKind(docs, apiVersion, kind).find((d) => d.obj.metadata?.name === name)?.obj;
}

export const where = (d: Doc) => `${d.file}#${d.index + 1} ${d.obj.kind}/${d.obj.metadata?.name}`;

/** Function names: the folders of functions/ with a server.ts, as scripts/bundle.ts finds them. */
export function functionNames(): string[] {
  return readdirSync(join(ROOT, "functions"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "shared")
    .filter((d) => readdirSync(join(ROOT, "functions", d.name)).includes("server.ts"))
    .map((d) => d.name)
    .sort();
}

export const hasKubectl = () =>
  spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;

/** `kubectl kustomize <dir>` parsed; the objects as the cluster would receive them. */
export function kustomizeBuild(dir: string): Obj[] {
  const out = execFileSync("kubectl", ["kustomize", join(ROOT, dir)], { encoding: "utf8" });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}
