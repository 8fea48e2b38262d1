// The KafkaSource manifest's shape, the fields the dispatcher uses, with KafkaSource's defaults:
// initialOffset latest, ordering ordered, no retries.
// Versions: sources.knative.dev/v1 (the project's), and v1beta1, because eventing-kafka-broker
// still serves it (as the storage version) at knative-v1.23 and its spec is the same field for
// field (control-plane/pkg/apis/sources/v1beta1/kafka_conversion.go copies each one), so a user's
// older manifest still runs here. Anything else (v1alpha1 was removed upstream) is refused.
import * as v from "valibot";
import { parseDuration } from "./duration.ts";

const text = (what: string) =>
  v.pipe(v.string(`${what} must be a string`), v.minLength(1, `${what} is empty`));
const duration = v.pipe(
  v.string("must be an ISO-8601 duration"),
  v.check((s) => {
    try {
      parseDuration(s);
      return true;
    } catch {
      return false;
    }
  }, "must be an ISO-8601 duration like PT0.2S"),
);
const Ref = v.object({
  apiVersion: v.optional(v.string()),
  kind: text("kind"),
  name: text("name"),
  namespace: v.optional(v.string()),
});
// `audience`: the OIDC audience of the destination (Knative Eventing `authentication-oidc`); the sink's
// is what the sender token's `aud` says (docs/authentication.md#sender-identity-purchase-persist).
const Destination = v.pipe(
  v.object({ ref: v.optional(Ref), uri: v.optional(v.string()), audience: v.optional(text("audience")) }),
  v.check((d) => d.ref !== undefined || d.uri !== undefined, "needs a ref or a uri"),
);

const KAFKA_SOURCE_VERSIONS = ["sources.knative.dev/v1", "sources.knative.dev/v1beta1"] as const;

export const ManifestSchema = v.object({
  apiVersion: v.picklist(KAFKA_SOURCE_VERSIONS, `must be ${KAFKA_SOURCE_VERSIONS.join(" or ")}`),
  kind: v.literal("KafkaSource", "must be KafkaSource"),
  metadata: v.object({ name: text("name"), namespace: v.optional(v.string(), "default") }),
  spec: v.object({
    consumerGroup: v.optional(v.string()),
    bootstrapServers: v.pipe(v.array(v.string()), v.minLength(1, "must list at least one host:port")),
    topics: v.pipe(v.array(v.string()), v.minLength(1, "must list at least one topic")),
    initialOffset: v.optional(v.picklist(["earliest", "latest"], "must be earliest or latest"), "latest"),
    ordering: v.optional(v.picklist(["ordered", "unordered"], "must be ordered or unordered"), "ordered"),
    consumers: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 1),
    delivery: v.optional(
      v.object({
        retry: v.optional(v.pipe(v.number("must be a number"), v.integer(), v.minValue(0)), 0),
        backoffPolicy: v.optional(v.picklist(["linear", "exponential"], "must be linear or exponential")),
        backoffDelay: v.optional(duration),
        timeout: v.optional(duration),
        deadLetterSink: v.optional(Destination),
      }),
      {},
    ),
    sink: Destination,
    ceOverrides: v.optional(v.object({ extensions: v.optional(v.record(v.string(), v.string())) })),
  }),
});
export type Manifest = v.InferOutput<typeof ManifestSchema>;
