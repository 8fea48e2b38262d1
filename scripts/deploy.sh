#!/usr/bin/env bash
# Builds, pushes and deploys the purchase system to a Knative cluster.
#
#   scripts/deploy.sh [--dry-run] [--tag TAG] [--no-build] [--render FILE] [--edge-jwt] <registry>
#     <registry>   where images go: ghcr.io/me, registry.example.com:5000, localhost:5001 (kind)...
#                  each function becomes <registry>/purchases/<function>:<tag>; `local`: the
#                  local registry of scripts/registry.sh (started if needed, REGISTRY_PORT)
#     --tag TAG    image tag (default: the git revision, with -dirty for uncommitted changes)
#     --no-build   skip build and push; deploy images already in the registry under that tag
#     --render FILE  build, push and write the rendered manifests to FILE; touch no cluster
#     --dry-run    print what would be done, change nothing (needs neither cluster nor engine)
#     --edge-jwt   also check tokens at the edge: knative/overlays/edge-jwt (Envoy Gateway's
#                  SecurityPolicy; routes on its Gateway as in knative/overlays/gateway)
#   Pushed images go into the manifests pinned by digest (<image>@sha256:...), what Knative
#   resolves a tag to anyway: every revision runs exactly the bytes that were pushed and tested.
#   Env: MONGODB_URI creates/updates the Secret mongodb-secret (otherwise it must exist already);
#        PLATFORM (e.g. linux/amd64) is passed to the image build; WAIT_TIMEOUT (default 300s).
#
# Prerequisites (field names checked against these versions; see docs/deploy.md#prerequisites):
#   - kubectl >= 1.27 (built-in kustomize), a cluster running Kubernetes >= 1.30
#   - Knative Serving >= 1.12 with a networking layer (Kourier), tested names from 1.23
#   - Knative Eventing >= 1.13 with eventing-kafka-broker's KafkaSource and KafkaSink, and in
#     ConfigMap knative-eventing/config-kafka-features: controller-autoscaler-keda: "enabled"
#   - KEDA 2.x (scales the KafkaSource's consumers on lag)
#   - Strimzi >= 0.49 with a Kafka cluster `purchases` in namespace `kafka` (or an existing Kafka:
#     then edit the bootstrap servers and drop kafka-source/kafka-topics.yaml)
#   - MongoDB 6.0 or later reachable from the cluster
#   - Gateway API CRDs (v1, standard channel) and an implementation with a Gateway that accepts
#     routes from namespace purchases: knative/base/http-routes.yaml attaches to
#     istio-system/knative-gateway (another one: knative/overlays/gateway); hosts localhost and
#     api.localhost
#   - with --edge-jwt: Envoy Gateway 1.x (its SecurityPolicy) and the Gateway that
#     knative/overlays/gateway names (default/eg)
#   - docker or podman, logged in to <registry>; optional: kn (then services go through
#     `kn service apply`, which waits for each one)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
NAMESPACE=purchases

die() { echo "deploy: $*" >&2; exit 1; }
usage() { sed -n '4,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

DRY_RUN=""; BUILD=1; TAG="${TAG:-}"; REGISTRY=""; RENDER=""; BASE=knative/base
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --no-build) BUILD="" ;;
    --edge-jwt) BASE=knative/overlays/edge-jwt ;;
    --render) [ $# -ge 2 ] || usage; RENDER="$2"; shift ;;
    --tag) [ $# -ge 2 ] || usage; TAG="$2"; shift ;;
    --tag=*) TAG="${1#--tag=}" ;;
    -h|--help) usage ;;
    -*) echo "deploy: unknown option $1" >&2; usage ;;
    *) [ -z "$REGISTRY" ] || usage; REGISTRY="${1%/}" ;;
  esac
  shift
done
[ -n "$REGISTRY" ] || usage
if [ "$REGISTRY" = local ]; then
  [ -n "$DRY_RUN" ] || bash scripts/registry.sh start
  REGISTRY="$(bash scripts/registry.sh addr)"
fi

# Print a command; run it unless --dry-run.
run() {
  printf '+'; printf ' %q' "$@"; printf '\n'
  [ -n "$DRY_RUN" ] || "$@"
}

if [ -z "$TAG" ]; then
  TAG="$(git rev-parse --short=12 HEAD 2>/dev/null || echo latest)"
  [ -z "$(git status --porcelain 2>/dev/null)" ] || TAG="$TAG-dirty"
fi
mapfile -t FUNCTIONS < <(for f in functions/*/server.ts; do basename "$(dirname "$f")"; done | grep -vx shared)
[ ${#FUNCTIONS[@]} -gt 0 ] || die "no functions/*/server.ts found"
echo "deploy: ${FUNCTIONS[*]} as $REGISTRY/purchases/<function>:$TAG${DRY_RUN:+ (dry run)}"

# ---------------------------------------------------------------- tools
command -v kubectl >/dev/null || [ -n "$DRY_RUN" ] || [ -n "$RENDER" ] || die "kubectl not found (https://kubernetes.io/docs/tasks/tools/)"
ENGINE=""
if [ -n "$BUILD" ]; then
  source scripts/container-engine.sh
  if ! pick_container_engine; then
    [ -n "$DRY_RUN" ] || die "no working container engine: install docker or podman (and start it), or use --no-build"
    CONTAINER_ENGINE=docker
  fi
  ENGINE="$CONTAINER_ENGINE"
fi
KN=""; command -v kn >/dev/null && KN=kn

# ---------------------------------------------------------------- images
# Built and pushed by the same script as `npm run images -- --push` (PLATFORM passes through to
# it), which writes each pushed image's digest to .local/images/<tag>/pushed.txt.
declare -A DIGEST=()
if [ -n "$BUILD" ]; then
  bash scripts/images.sh --prefix "$REGISTRY/purchases" --tag "$TAG" --push ${DRY_RUN:+--dry-run} "${FUNCTIONS[@]}" \
    || die "building or pushing the images failed"
  if [ -z "$DRY_RUN" ]; then
    while read -r fn ref; do DIGEST[$fn]="${ref#*@}"; done <"$ROOT/.local/images/$TAG/pushed.txt"
  fi
fi

# ---------------------------------------------------------------- manifests
# An overlay of knative/base (or of the edge-jwt overlay) with this registry and tag, like
# knative/overlays/registry.
OVERLAY="$(mktemp -d)"
trap 'rm -rf "$OVERLAY"' EXIT
{
  echo "apiVersion: kustomize.config.k8s.io/v1beta1"
  echo "kind: Kustomization"
  echo "resources:"
  echo "  - $(realpath --relative-to="$OVERLAY" "$ROOT/$BASE")"
  echo "images:"
  for fn in "${FUNCTIONS[@]}"; do
    printf '  - name: purchases/%s\n    newName: %s/purchases/%s\n' "$fn" "$REGISTRY" "$fn"
    # By digest once pushed; by tag with --no-build (and in a dry run, which pushes nothing).
    if [ -n "${DIGEST[$fn]:-}" ]; then printf '    digest: "%s"\n' "${DIGEST[$fn]}"
    else printf '    newTag: "%s"\n' "$TAG"; fi
  done
} >"$OVERLAY/kustomization.yaml"
if command -v kubectl >/dev/null; then
  kubectl kustomize "$OVERLAY" >"$OVERLAY/all.yaml" || die "kustomize failed on $BASE"
fi
if [ -n "$RENDER" ]; then
  [ -f "$OVERLAY/all.yaml" ] || die "--render needs kubectl (its built-in kustomize)"
  cp "$OVERLAY/all.yaml" "$RENDER"
  echo "deploy: manifests rendered to $RENDER; nothing applied"
  exit 0
fi
if [ -n "$DRY_RUN" ]; then
  echo "+ # overlay $OVERLAY/kustomization.yaml:"
  sed 's/^/+ #   /' "$OVERLAY/kustomization.yaml"
fi

run kubectl apply -f knative/base/namespace.yaml
if [ -n "${MONGODB_URI:-}" ]; then
  echo "+ kubectl -n $NAMESPACE create secret generic mongodb-secret --from-literal=MONGODB_URI=*** --dry-run=client -o yaml | kubectl apply -f -"
  if [ -z "$DRY_RUN" ]; then
    kubectl -n "$NAMESPACE" create secret generic mongodb-secret --from-literal="MONGODB_URI=$MONGODB_URI" \
      --dry-run=client -o yaml | kubectl apply -f -
  fi
elif [ -n "$DRY_RUN" ]; then
  echo "+ # MONGODB_URI is not set: Secret $NAMESPACE/mongodb-secret must exist already"
elif ! kubectl -n "$NAMESPACE" get secret mongodb-secret >/dev/null 2>&1; then
  die "Secret $NAMESPACE/mongodb-secret is missing: set MONGODB_URI, or create it (knative/mongodb-secret.template.yaml)"
fi

if [ -n "$KN" ]; then
  # Everything but the Knative Services with kubectl, then each Service with kn (waits for Ready).
  run kubectl apply -f "$OVERLAY/all.yaml" -l 'app.kubernetes.io/component!=function'
  if [ -f "$OVERLAY/all.yaml" ]; then
    node --input-type=module -e '
      import { readFileSync, writeFileSync } from "node:fs";
      import { parseAllDocuments } from "yaml";
      const [file, dir] = process.argv.slice(1);
      for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
        const o = doc.toJS();
        if (o?.kind === "Service" && o.apiVersion === "serving.knative.dev/v1") {
          writeFileSync(`${dir}/ksvc-${o.metadata.name}.yaml`, doc.toString());
        }
      }' "$OVERLAY/all.yaml" "$OVERLAY"
  fi
  for fn in "${FUNCTIONS[@]}"; do
    run kn service apply "$fn" -n "$NAMESPACE" -f "$OVERLAY/ksvc-$fn.yaml" --wait-timeout "${WAIT_TIMEOUT:-300}"
  done
else
  run kubectl apply -k "$OVERLAY"
fi

# ---------------------------------------------------------------- readiness and URLs
run kubectl -n "$NAMESPACE" wait ksvc --all --for=condition=Ready --timeout="${WAIT_TIMEOUT:-300}s"
run kubectl -n "$NAMESPACE" wait kafkasink/purchases-dlq kafkasource/purchases-source \
  --for=condition=Ready --timeout="${WAIT_TIMEOUT:-300}s"
if [ -n "$DRY_RUN" ]; then
  echo "+ kubectl -n $NAMESPACE get ksvc   (prints each function's URL)"
else
  echo
  kubectl -n "$NAMESPACE" get ksvc -o custom-columns='NAME:.metadata.name,URL:.status.url,READY:.status.conditions[?(@.type=="Ready")].status'
fi
cat <<EOF

Through the Gateway (HTTPRoutes; map localhost and api.localhost to its address if needed):
  web page        http://localhost/
  API             http://api.localhost/items   http://api.localhost/buy   http://api.localhost/getAllUserBuys/<user_id>
Cluster-local only: customer-management (management API), purchase-persist (KafkaSource sink).
EOF
