// Strict schemas of the objects the manifests define, written from the upstream sources, so that
// an unknown or misspelt field is an error here instead of being pruned silently by the API
// server (the @kubernetes-models validators allow unknown fields).
// - Knative Service: serving.knative.dev/v1, the fields Knative admits (pkg/apis/serving
//   fieldmask.go: PodSpecMask, ContainerMask, SecurityContextMask, ProbeMask...; k8s_validation.go).
// - KafkaSource sources.knative.dev/v1: the v1 version of eventing-kafka-broker's CRD at tag
//   knative-v1.23.0, control-plane/config/eventing-kafka-broker/100-source/100-kafka-source.yaml
//   (generated from control-plane/pkg/apis/sources/v1/kafka_types.go and bindings/v1).
//   Its webhook's rules (ordering, delivery durations, consumers, KEDA annotations) are checked
//   by scripts/admission (test/deploy/admission.unit.test.ts).
// - KafkaSink eventing.knative.dev/v1alpha1, still its only version at knative-v1.23.0:
//   control-plane/config/eventing-kafka-broker/100-sink/100-kafka-sink.yaml.
// - HTTPRoute gateway.networking.k8s.io/v1: Gateway API's standard-channel CRD (config/crd/
//   standard/gateway.networking.k8s.io_httproutes.yaml), the fields these routes may use.
// - KafkaTopic kafka.strimzi.io/v1: Strimzi's CRD (packaging/install/cluster-operator/043-Crd-kafkatopic.yaml).
// - PodMonitor, PrometheusRule monitoring.coreos.com/v1: the Prometheus Operator's CRDs
//   (example/prometheus-operator-crd/monitoring.coreos.com_{podmonitors,prometheusrules}.yaml), the
//   fields these manifests may use (test/deploy/monitoring.unit.test.ts validates them with the models too).
// - SecurityPolicy gateway.envoyproxy.io/v1alpha1: Envoy Gateway's CRD (charts/gateway-helm/.../
//   gateway.envoyproxy.io_securitypolicies.yaml, from api/v1alpha1/securitypolicy_types.go,
//   jwt_types.go, cors_types.go, policy_helpers.go), the JWT and CORS fields an overlay may use.
import * as v from "valibot";

const str = v.string();
const int = v.pipe(v.number(), v.integer());
const bool = v.boolean();
const opt = v.optional;
const strings = v.record(v.string(), v.string());
const nonEmptyStrings = v.pipe(v.array(v.pipe(v.string(), v.minLength(1))), v.minLength(1));
// ISO-8601 durations as the KafkaSource's delivery fields take them (PT0.2S, PT10S, P1D).
const isoDuration = v.pipe(
  v.string(),
  v.regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/, "ISO-8601 duration"),
);
const dnsLabel = v.pipe(v.string(), v.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "DNS-1123 label"));

const ObjectMeta = v.strictObject({
  name: dnsLabel,
  namespace: opt(dnsLabel),
  labels: opt(strings),
  annotations: opt(strings),
});

// ---------------------------------------------------------------- Knative Service
const KeyRef = v.strictObject({ name: str, key: str, optional: opt(bool) });
const EnvVar = v.strictObject({
  name: str,
  value: opt(str),
  valueFrom: opt(
    v.strictObject({
      configMapKeyRef: opt(KeyRef),
      secretKeyRef: opt(KeyRef),
      fieldRef: opt(v.strictObject({ fieldPath: str, apiVersion: opt(str) })),
    }),
  ),
});
const NameRef = v.strictObject({ name: str, optional: opt(bool) });
const EnvFrom = v.strictObject({ prefix: opt(str), configMapRef: opt(NameRef), secretRef: opt(NameRef) });
const quantity = v.union([v.string(), v.number()]);
const ResourceList = v.strictObject({
  cpu: opt(quantity),
  memory: opt(quantity),
  "ephemeral-storage": opt(quantity),
});
const port = v.union([int, str]);
const Probe = v.strictObject({
  httpGet: opt(
    v.strictObject({
      path: opt(str),
      port: opt(port),
      host: opt(str),
      scheme: opt(v.picklist(["HTTP", "HTTPS"])),
      httpHeaders: opt(v.array(v.strictObject({ name: str, value: str }))),
    }),
  ),
  tcpSocket: opt(v.strictObject({ port: opt(port), host: opt(str) })),
  exec: opt(v.strictObject({ command: v.array(str) })),
  grpc: opt(v.strictObject({ port: int, service: opt(str) })),
  initialDelaySeconds: opt(int),
  timeoutSeconds: opt(int),
  periodSeconds: opt(int),
  successThreshold: opt(int),
  failureThreshold: opt(int),
  terminationGracePeriodSeconds: opt(int),
});
const SecurityContext = v.strictObject({
  capabilities: opt(
    v.strictObject({
      add: opt(v.array(v.literal("NET_BIND_SERVICE"))),
      drop: opt(v.array(str)),
    }),
  ),
  readOnlyRootFilesystem: opt(bool),
  runAsUser: opt(int),
  runAsGroup: opt(int),
  runAsNonRoot: opt(bool),
  allowPrivilegeEscalation: opt(bool),
  seccompProfile: opt(
    v.strictObject({
      type: v.picklist(["RuntimeDefault", "Localhost", "Unconfined"]),
      localhostProfile: opt(str),
    }),
  ),
  privileged: opt(v.literal(false)),
});
const Container = v.strictObject({
  name: opt(dnsLabel),
  image: v.pipe(str, v.minLength(1)),
  args: opt(v.array(str)),
  command: opt(v.array(str)),
  workingDir: opt(str),
  env: opt(v.array(EnvVar)),
  envFrom: opt(v.array(EnvFrom)),
  imagePullPolicy: opt(v.picklist(["Always", "IfNotPresent", "Never"])),
  // Knative: one serving port, named http1, h2c or nothing, TCP.
  ports: opt(
    v.array(
      v.strictObject({
        name: opt(v.picklist(["http1", "h2c"])),
        containerPort: int,
        protocol: opt(v.literal("TCP")),
      }),
    ),
  ),
  resources: opt(v.strictObject({ requests: opt(ResourceList), limits: opt(ResourceList) })),
  readinessProbe: opt(Probe),
  livenessProbe: opt(Probe),
  startupProbe: opt(Probe),
  securityContext: opt(SecurityContext),
  terminationMessagePath: opt(str),
  terminationMessagePolicy: opt(v.picklist(["File", "FallbackToLogsOnError"])),
  volumeMounts: opt(
    v.array(v.strictObject({ name: str, mountPath: str, readOnly: opt(bool), subPath: opt(str) })),
  ),
});
const RevisionSpec = v.strictObject({
  containers: v.pipe(v.array(Container), v.minLength(1)),
  containerConcurrency: opt(v.pipe(int, v.minValue(0), v.maxValue(1000))),
  timeoutSeconds: opt(v.pipe(int, v.minValue(1))),
  responseStartTimeoutSeconds: opt(int),
  idleTimeoutSeconds: opt(int),
  serviceAccountName: opt(str),
  enableServiceLinks: opt(bool),
  automountServiceAccountToken: opt(v.literal(false)),
  imagePullSecrets: opt(v.array(v.strictObject({ name: str }))),
  volumes: opt(v.array(v.looseObject({ name: str }))),
});
const KnativeServiceSchema = v.strictObject({
  apiVersion: v.literal("serving.knative.dev/v1"),
  kind: v.literal("Service"),
  metadata: ObjectMeta,
  spec: v.strictObject({
    template: v.strictObject({
      metadata: opt(v.strictObject({ name: opt(str), labels: opt(strings), annotations: opt(strings) })),
      spec: RevisionSpec,
    }),
    traffic: opt(
      v.array(
        v.strictObject({
          revisionName: opt(str),
          configurationName: opt(str),
          latestRevision: opt(bool),
          percent: opt(v.pipe(int, v.minValue(0), v.maxValue(100))),
          tag: opt(str),
        }),
      ),
    ),
  }),
});

/** autoscaling.knative.dev annotations Knative knows (pkg/apis/autoscaling/register.go). */
export const KNATIVE_AUTOSCALING_KEYS = [
  "class",
  "metric",
  "target",
  "target-utilization-percentage",
  "target-burst-capacity",
  "min-scale",
  "max-scale",
  "initial-scale",
  "activation-scale",
  "scale-down-delay",
  "scale-to-zero-pod-retention-period",
  "metric-aggregation-algorithm",
  "window",
  "panic-window-percentage",
  "panic-threshold-percentage",
].map((k) => `autoscaling.knative.dev/${k}`);

// ---------------------------------------------------------------- eventing-kafka-broker
const KReference = v.strictObject({
  apiVersion: opt(str),
  kind: str,
  name: str,
  namespace: opt(str),
  group: opt(str),
  address: opt(str),
});
const Destination = v.pipe(
  v.strictObject({ ref: opt(KReference), uri: opt(str), CACerts: opt(str), audience: opt(str) }),
  v.check((d) => d.ref !== undefined || d.uri !== undefined, "a destination needs ref or uri"),
);
const SecretValueFromSource = v.strictObject({
  secretKeyRef: opt(v.strictObject({ key: str, name: opt(str), optional: opt(bool) })),
});
const KafkaSourceSchema = v.strictObject({
  apiVersion: v.literal("sources.knative.dev/v1"),
  kind: v.literal("KafkaSource"),
  metadata: ObjectMeta,
  spec: v.strictObject({
    bootstrapServers: nonEmptyStrings,
    topics: nonEmptyStrings,
    consumerGroup: opt(str),
    consumers: opt(v.pipe(int, v.minValue(1))),
    initialOffset: opt(v.picklist(["earliest", "latest"])),
    ordering: opt(v.picklist(["ordered", "unordered"])),
    delivery: opt(
      v.strictObject({
        deadLetterSink: opt(Destination),
        retry: opt(v.pipe(int, v.minValue(0))),
        timeout: opt(isoDuration),
        backoffPolicy: opt(v.picklist(["linear", "exponential"])),
        backoffDelay: opt(isoDuration),
        retryAfterMax: opt(isoDuration),
      }),
    ),
    net: opt(
      v.strictObject({
        sasl: opt(
          v.strictObject({
            enable: opt(bool),
            user: opt(SecretValueFromSource),
            password: opt(SecretValueFromSource),
            type: opt(SecretValueFromSource),
            roleARN: opt(SecretValueFromSource),
            tokenProvider: opt(SecretValueFromSource),
          }),
        ),
        tls: opt(
          v.strictObject({
            enable: opt(bool),
            cert: opt(SecretValueFromSource),
            key: opt(SecretValueFromSource),
            caCert: opt(SecretValueFromSource),
          }),
        ),
      }),
    ),
    sink: Destination,
    ceOverrides: opt(v.strictObject({ extensions: opt(strings) })),
  }),
});

/** KafkaSource annotations read by eventing-kafka-broker's KEDA autoscaler (autoscaler_api.go). */
export const KAFKA_SOURCE_AUTOSCALING = {
  "autoscaling.eventing.knative.dev/class": /^(keda\.autoscaling\.knative\.dev|disabled)$/,
  "autoscaling.eventing.knative.dev/min-scale": /^\d+$/,
  "autoscaling.eventing.knative.dev/max-scale": /^\d+$/,
  "autoscaling.eventing.knative.dev/lag-threshold": /^\d+$/,
  "autoscaling.eventing.knative.dev/activation-lag-threshold": /^\d+$/,
  "autoscaling.eventing.knative.dev/polling-interval": /^\d+$/,
  "autoscaling.eventing.knative.dev/cooldown-period": /^\d+$/,
} as Record<string, RegExp>;

const KafkaSinkSchema = v.strictObject({
  apiVersion: v.literal("eventing.knative.dev/v1alpha1"),
  kind: v.literal("KafkaSink"),
  metadata: ObjectMeta,
  spec: v.strictObject({
    topic: v.pipe(str, v.minLength(1)),
    bootstrapServers: nonEmptyStrings,
    numPartitions: opt(v.pipe(int, v.minValue(1))),
    replicationFactor: opt(v.pipe(int, v.minValue(1))),
    contentMode: opt(v.picklist(["binary", "structured"])),
    auth: opt(v.strictObject({ secret: opt(v.strictObject({ ref: opt(v.strictObject({ name: str })) })) })),
  }),
});

// ---------------------------------------------------------------- Strimzi
const KafkaTopicSchema = v.strictObject({
  apiVersion: v.literal("kafka.strimzi.io/v1"),
  kind: v.literal("KafkaTopic"),
  metadata: v.strictObject({
    ...ObjectMeta.entries,
    // The Topic Operator only manages topics labelled with its cluster.
    labels: v.looseObject({ "strimzi.io/cluster": dnsLabel }),
  }),
  spec: v.strictObject({
    topicName: opt(v.pipe(str, v.regex(/^[A-Za-z0-9._-]{1,249}$/))),
    partitions: opt(v.pipe(int, v.minValue(1))),
    replicas: opt(v.pipe(int, v.minValue(1), v.maxValue(32767))),
    config: opt(v.record(v.string(), v.union([v.string(), v.number(), v.boolean(), v.array(v.string())]))),
  }),
});

// ---------------------------------------------------------------- Gateway API
const PathMatch = v.strictObject({
  type: v.picklist(["Exact", "PathPrefix", "RegularExpression"]),
  value: v.pipe(str, v.startsWith("/"), v.maxLength(1024)),
});
const HTTPRouteRule = v.strictObject({
  name: opt(str),
  matches: opt(
    v.pipe(
      v.array(
        v.strictObject({
          path: opt(PathMatch),
          method: opt(str),
          headers: opt(v.array(v.strictObject({ type: opt(str), name: str, value: str }))),
        }),
      ),
      v.maxLength(64),
    ),
  ),
  filters: opt(
    v.array(
      v.strictObject({
        type: v.picklist(["URLRewrite", "RequestHeaderModifier", "ResponseHeaderModifier"]),
        urlRewrite: opt(v.strictObject({ hostname: opt(str), path: opt(v.looseObject({ type: str })) })),
        requestHeaderModifier: opt(v.looseObject({})),
        responseHeaderModifier: opt(v.looseObject({})),
      }),
    ),
  ),
  backendRefs: opt(
    v.array(
      v.strictObject({
        group: opt(str),
        kind: opt(str),
        name: dnsLabel,
        namespace: opt(dnsLabel),
        port: opt(v.pipe(int, v.minValue(1), v.maxValue(65535))),
        weight: opt(int),
      }),
    ),
  ),
  timeouts: opt(v.strictObject({ request: opt(str), backendRequest: opt(str) })),
});
const HTTPRouteSchema = v.strictObject({
  apiVersion: v.literal("gateway.networking.k8s.io/v1"),
  kind: v.literal("HTTPRoute"),
  metadata: ObjectMeta,
  spec: v.strictObject({
    parentRefs: v.pipe(
      v.array(
        v.strictObject({
          group: opt(str),
          kind: opt(str),
          namespace: opt(dnsLabel),
          name: dnsLabel,
          sectionName: opt(str),
          port: opt(int),
        }),
      ),
      v.minLength(1),
    ),
    hostnames: opt(
      v.array(
        v.pipe(str, v.regex(/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/)),
      ),
    ),
    rules: v.pipe(v.array(HTTPRouteRule), v.minLength(1), v.maxLength(16)),
  }),
});

// ---------------------------------------------------------------- Envoy Gateway
// Gateway API durations (1h, 600s, 500ms): ^([0-9]{1,5}(h|m|s|ms)){1,4}$
const gwDuration = v.pipe(str, v.regex(/^([0-9]{1,5}(h|m|s|ms)){1,4}$/, "Gateway API duration"));
const PolicyTargetRef = v.strictObject({
  group: v.literal("gateway.networking.k8s.io"),
  kind: v.picklist(["Gateway", "HTTPRoute", "GRPCRoute"]),
  name: v.pipe(str, v.minLength(1), v.maxLength(253)),
  sectionName: opt(str),
});
const JWTProvider = v.pipe(
  v.strictObject({
    name: v.pipe(str, v.minLength(1), v.maxLength(253)),
    issuer: opt(v.pipe(str, v.maxLength(253))),
    audiences: opt(v.pipe(v.array(str), v.maxLength(8))),
    remoteJWKS: opt(
      v.strictObject({
        uri: v.pipe(str, v.minLength(1), v.maxLength(253)),
        cacheDuration: opt(gwDuration),
        failedRefetchDuration: opt(gwDuration),
      }),
    ),
    localJWKS: opt(v.looseObject({ type: v.picklist(["Inline", "ValueRef"]) })),
    claimToHeaders: opt(v.array(v.strictObject({ header: str, claim: str }))),
    recomputeRoute: opt(bool),
    extractFrom: opt(
      v.strictObject({
        headers: opt(v.array(v.strictObject({ name: str, valuePrefix: opt(str) }))),
        cookies: opt(v.array(str)),
        params: opt(v.array(str)),
      }),
    ),
  }),
  // The CRD's x-kubernetes-validations.
  v.check(
    (p) => (p.remoteJWKS === undefined) !== (p.localJWKS === undefined),
    "exactly one of remoteJWKS, localJWKS",
  ),
  v.check(
    (p) => !p.recomputeRoute || (p.claimToHeaders ?? []).length > 0,
    "recomputeRoute needs claimToHeaders",
  ),
);
// cors_types.go: an origin is `*` or scheme://host[:port], host possibly `*.`-prefixed.
const CorsOrigin = v.pipe(
  str,
  v.regex(/^(\*|[A-Za-z][A-Za-z0-9+.-]*:\/\/(\*|(\*\.)?(([\w-]+\.?)+)?[\w-]+)(:\d{1,5})?)$/, "CORS origin"),
);
const SecurityPolicySchema = v.strictObject({
  apiVersion: v.literal("gateway.envoyproxy.io/v1alpha1"),
  kind: v.literal("SecurityPolicy"),
  metadata: ObjectMeta,
  spec: v.pipe(
    v.strictObject({
      targetRefs: opt(v.array(PolicyTargetRef)),
      jwt: opt(
        v.pipe(
          v.strictObject({
            optional: opt(bool),
            failOpen: opt(bool),
            providers: v.pipe(v.array(JWTProvider), v.minLength(1), v.maxLength(16)),
          }),
          v.check(
            (j) => j.optional === undefined || j.failOpen === undefined,
            "optional and failOpen cannot both be set",
          ),
        ),
      ),
      cors: opt(
        v.strictObject({
          allowOrigins: opt(v.array(CorsOrigin)),
          allowMethods: opt(v.array(str)),
          allowHeaders: opt(v.array(str)),
          exposeHeaders: opt(v.array(str)),
          maxAge: opt(gwDuration),
          allowCredentials: opt(bool),
        }),
      ),
    }),
    v.check((sp) => (sp.targetRefs ?? []).length > 0, "a policy needs targetRefs"),
  ),
});

// ---------------------------------------------------------------- Kubernetes core
const ConfigMapSchema = v.strictObject({
  apiVersion: v.literal("v1"),
  kind: v.literal("ConfigMap"),
  metadata: ObjectMeta,
  // Values must be strings: an unquoted 5000 is rejected by the API server.
  data: strings,
});

const SecretSchema = v.strictObject({
  apiVersion: v.literal("v1"),
  kind: v.literal("Secret"),
  metadata: ObjectMeta,
  type: opt(str),
  stringData: opt(strings),
  data: opt(strings),
});

const NamespaceSchema = v.strictObject({
  apiVersion: v.literal("v1"),
  kind: v.literal("Namespace"),
  metadata: v.strictObject({ name: dnsLabel, labels: opt(strings), annotations: opt(strings) }),
});

const KustomizationSchema = v.strictObject({
  apiVersion: v.literal("kustomize.config.k8s.io/v1beta1"),
  kind: v.literal("Kustomization"),
  resources: opt(v.array(str)),
  images: opt(v.array(v.strictObject({ name: str, newName: opt(str), newTag: opt(str), digest: opt(str) }))),
  patches: opt(
    v.array(
      v.strictObject({
        path: opt(str),
        patch: opt(str),
        target: opt(
          v.strictObject({
            group: opt(str),
            version: opt(str),
            kind: opt(str),
            name: opt(str),
            namespace: opt(str),
          }),
        ),
      }),
    ),
  ),
});

// ---------------------------------------------------------------- Prometheus Operator
const promDuration = v.pipe(v.string(), v.regex(/^(0|(\d+(ms|s|m|h|d|w|y))+)$/, "Prometheus duration"));
const RelabelConfig = v.strictObject({
  sourceLabels: opt(v.array(str)),
  separator: opt(str),
  targetLabel: opt(str),
  regex: opt(str),
  replacement: opt(str),
  action: opt(str),
});
const PodMonitorSchema = v.strictObject({
  apiVersion: v.literal("monitoring.coreos.com/v1"),
  kind: v.literal("PodMonitor"),
  metadata: ObjectMeta,
  spec: v.strictObject({
    selector: v.strictObject({ matchLabels: opt(strings) }),
    namespaceSelector: opt(v.strictObject({ matchNames: opt(v.array(str)), any: opt(bool) })),
    podMetricsEndpoints: v.array(
      v.strictObject({
        port: opt(str),
        path: opt(str),
        interval: opt(promDuration),
        scrapeTimeout: opt(promDuration),
        honorLabels: opt(bool),
        relabelings: opt(v.array(RelabelConfig)),
        metricRelabelings: opt(v.array(RelabelConfig)),
      }),
    ),
  }),
});
const Rule = v.union([
  v.strictObject({ record: str, expr: str, labels: opt(strings) }),
  v.strictObject({
    alert: str,
    expr: str,
    for: opt(promDuration),
    keep_firing_for: opt(promDuration),
    labels: opt(strings),
    annotations: opt(strings),
  }),
]);
const PrometheusRuleSchema = v.strictObject({
  apiVersion: v.literal("monitoring.coreos.com/v1"),
  kind: v.literal("PrometheusRule"),
  metadata: ObjectMeta,
  spec: v.strictObject({
    groups: v.array(v.strictObject({ name: str, interval: opt(promDuration), rules: v.array(Rule) })),
  }),
});

/** The schema for every apiVersion/kind the manifests may contain; anything else is an error. */
const SCHEMAS: Record<string, v.GenericSchema> = {
  "serving.knative.dev/v1 Service": KnativeServiceSchema,
  "sources.knative.dev/v1 KafkaSource": KafkaSourceSchema,
  "eventing.knative.dev/v1alpha1 KafkaSink": KafkaSinkSchema,
  "kafka.strimzi.io/v1 KafkaTopic": KafkaTopicSchema,
  "gateway.networking.k8s.io/v1 HTTPRoute": HTTPRouteSchema,
  "gateway.envoyproxy.io/v1alpha1 SecurityPolicy": SecurityPolicySchema,
  "v1 ConfigMap": ConfigMapSchema,
  "v1 Secret": SecretSchema,
  "v1 Namespace": NamespaceSchema,
  "monitoring.coreos.com/v1 PodMonitor": PodMonitorSchema,
  "monitoring.coreos.com/v1 PrometheusRule": PrometheusRuleSchema,
  "kustomize.config.k8s.io/v1beta1 Kustomization": KustomizationSchema,
};

/** Problems with an object as "path: message" lines; [] when it matches its schema. */
export function problems(obj: Record<string, unknown>): string[] {
  const schema = SCHEMAS[`${obj.apiVersion} ${obj.kind}`];
  if (!schema) return [`no schema for ${obj.apiVersion} ${obj.kind}`];
  const result = v.safeParse(schema, obj);
  if (result.success) return [];
  return result.issues.map((issue) => {
    const path = issue.path?.map((p) => String(p.key)).join(".") ?? "";
    return `${path || "(root)"}: ${issue.message}`;
  });
}
