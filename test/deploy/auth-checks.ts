// The authentication rules the manifests must keep (issue 25), as a function of the objects, so that a
// test can hand it a manifest that breaks one and see it refused:
// - every Knative Service reads the ConfigMap purchases-auth, none turns AUTH_MODE off (directly, by
//   a ConfigMap it reads, or by a key reference), none overrides its AUTH_* on its own;
// - the ConfigMap names the issuer and the audience (the code's defaults are the local stack's);
// - a KafkaSource whose sink is a Knative Service names an audience equal to that Service's
//   SENDER_AUDIENCE, and its OIDC service account is one of the Service's SENDER_SUBJECTS;
// - an edge SecurityPolicy checks the same issuer and audience and copies no claim into a header.
import type { Obj } from "./manifests.ts";

export const AUTH_CONFIG_MAP = "purchases-auth";

const isKnativeService = (o: Obj) => o.apiVersion === "serving.knative.dev/v1" && o.kind === "Service";
const isConfigMap = (o: Obj) => o.apiVersion === "v1" && o.kind === "ConfigMap";
const nameOf = (o: Obj) => `${o.kind} ${o.metadata?.name}`;

interface EnvValue {
  value: string | undefined;
  from: string;
}

/**
 * A container's environment as the kubelet assembles it: envFrom in order (a later source wins), then
 * env (wins over envFrom). `unseen` lists the sources whose keys cannot be known from the manifests.
 */
export function containerEnv(container: Obj, namespace: string, objects: Obj[]) {
  const configMap = (name: string) =>
    objects.find(
      (o) =>
        isConfigMap(o) && o.metadata?.name === name && (o.metadata?.namespace ?? namespace) === namespace,
    );
  const env = new Map<string, EnvValue>();
  const unseen: string[] = [];
  for (const from of container.envFrom ?? []) {
    if (from.secretRef) {
      unseen.push(`Secret ${from.secretRef.name} (envFrom)`);
      continue;
    }
    const name = from.configMapRef?.name;
    const cm = configMap(name);
    if (!cm) {
      unseen.push(`ConfigMap ${name} (not defined here)`);
      continue;
    }
    for (const [key, value] of Object.entries(cm.data ?? {})) {
      env.set(`${from.prefix ?? ""}${key}`, { value: String(value), from: `ConfigMap ${name}` });
    }
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref) {
      const cm = configMap(ref.name);
      if (!cm) unseen.push(`ConfigMap ${ref.name} (not defined here)`);
      env.set(e.name, { value: cm?.data?.[ref.key], from: `ConfigMap ${ref.name} key ${ref.key}` });
    } else if (e.valueFrom) {
      env.set(e.name, { value: undefined, from: "a secret or field reference" });
    } else {
      env.set(e.name, { value: e.value, from: "its own env" });
    }
  }
  return { env, unseen };
}

/**
 * The service account Knative Eventing gives a source for sender identity (`authentication-oidc`):
 * kmeta.ChildName(<name>, "-oidc-<group>-<kind>"), lower-cased (knative/eventing pkg/auth/
 * serviceaccount.go, GetOIDCServiceAccountNameForResource, since knative-v1.13; the KafkaSource's
 * reconciler calls it with sources.knative.dev/KafkaSource). ChildName hashes a name over 63
 * characters: undefined then (read it from the source's status.auth.serviceAccountName).
 */
export function oidcServiceAccountName(source: Obj): string | undefined {
  const group = String(source.apiVersion).split("/")[0];
  const name = `${source.metadata.name}-oidc-${group}-${source.kind}`.toLowerCase();
  return name.length <= 63 ? name : undefined;
}

/** Problems with the authentication rules, one line each; [] when the objects keep them all. */
export function authProblems(objects: Obj[]): string[] {
  const problems: string[] = [];
  const authMap = objects.find((o) => isConfigMap(o) && o.metadata?.name === AUTH_CONFIG_MAP);
  const auth = (authMap?.data ?? {}) as Record<string, string>;
  if (!authMap) problems.push(`no ConfigMap ${AUTH_CONFIG_MAP}`);
  for (const key of ["AUTH_ISSUER", "AUTH_AUDIENCE"]) {
    if (authMap && !auth[key]) problems.push(`ConfigMap ${AUTH_CONFIG_MAP} does not set ${key}`);
  }

  const services = objects.filter(isKnativeService);
  const envOf = (s: Obj) =>
    containerEnv(s.spec.template.spec.containers[0] ?? {}, s.metadata.namespace, objects);
  for (const s of services) {
    const name = s.metadata.name;
    const container = s.spec.template.spec.containers[0] ?? {};
    const reads = (container.envFrom ?? []).some(
      (f: Obj) => f.configMapRef?.name === AUTH_CONFIG_MAP && !f.configMapRef.optional && !f.prefix,
    );
    if (!reads) problems.push(`Service ${name} does not read ConfigMap ${AUTH_CONFIG_MAP} (envFrom)`);
    const { env, unseen } = envOf(s);
    const mode = env.get("AUTH_MODE");
    if (mode && mode.value !== "on") {
      problems.push(
        `Service ${name} sets AUTH_MODE=${mode.value ?? "?"} through ${mode.from}: only "on" is deployable`,
      );
    }
    for (const source of unseen)
      problems.push(`Service ${name} reads ${source}, which could turn AUTH_MODE off unseen`);
    for (const e of container.env ?? []) {
      if (String(e.name).startsWith("AUTH_")) {
        problems.push(
          `Service ${name} sets ${e.name} itself: every function takes it from ${AUTH_CONFIG_MAP}`,
        );
      }
    }
  }

  for (const source of objects.filter((o) => o.kind === "KafkaSource")) {
    const ref = source.spec?.sink?.ref;
    const sink = ref && services.find((s) => s.metadata.name === ref.name && ref.kind === "Service");
    if (!sink) continue;
    const where = `${nameOf(source)} -> Service ${sink.metadata.name}`;
    const { env } = envOf(sink);
    const audience = source.spec.sink.audience;
    const expected = env.get("SENDER_AUDIENCE")?.value;
    if (!audience) problems.push(`${where}: spec.sink.audience is not set, so no token is sent`);
    else if (audience !== expected) {
      problems.push(`${where}: spec.sink.audience ${audience} is not the sink's SENDER_AUDIENCE ${expected}`);
    }
    const account = oidcServiceAccountName(source);
    const subject = `system:serviceaccount:${source.metadata.namespace}:${account}`;
    const subjects = (env.get("SENDER_SUBJECTS")?.value ?? "").split(",").map((x) => x.trim());
    if (!account)
      problems.push(`${where}: the source's OIDC service account name is hashed; shorten the source's name`);
    else if (!subjects.includes(subject)) {
      problems.push(`${where}: SENDER_SUBJECTS ${subjects.join(",")} does not allow the source's ${subject}`);
    }
  }

  const routes = new Set(objects.filter((o) => o.kind === "HTTPRoute").map((o) => o.metadata.name));
  for (const policy of objects.filter((o) => o.kind === "SecurityPolicy")) {
    const where = `SecurityPolicy ${policy.metadata.name}`;
    for (const t of policy.spec?.targetRefs ?? []) {
      if (t.kind === "HTTPRoute" && !routes.has(t.name))
        problems.push(`${where} targets no HTTPRoute ${t.name}`);
    }
    for (const p of policy.spec?.jwt?.providers ?? []) {
      if ((p.claimToHeaders ?? []).length > 0) {
        problems.push(
          `${where} provider ${p.name} copies claims into headers: the functions trust the token only`,
        );
      }
      if (p.issuer !== auth.AUTH_ISSUER)
        problems.push(`${where} provider ${p.name}: issuer ${p.issuer} is not AUTH_ISSUER`);
      if (!(p.audiences ?? []).includes(auth.AUTH_AUDIENCE)) {
        problems.push(
          `${where} provider ${p.name}: audiences do not hold AUTH_AUDIENCE ${auth.AUTH_AUDIENCE}`,
        );
      }
      if (auth.AUTH_JWKS_URL && p.remoteJWKS?.uri !== auth.AUTH_JWKS_URL) {
        problems.push(`${where} provider ${p.name}: remoteJWKS ${p.remoteJWKS?.uri} is not AUTH_JWKS_URL`);
      }
    }
  }
  return problems;
}
