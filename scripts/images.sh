#!/usr/bin/env bash
# npm run images: builds one image per function (functions/*/server.ts) from the project's Dockerfile.
#
#   scripts/images.sh [--prefix PREFIX] [--tag TAG] [--push [--registry ADDR]] [--dry-run] [--print-base] [function...]
#     --prefix PREFIX  image names are PREFIX/<function>:TAG (default: $IMAGE_PREFIX or purchases)
#     --tag TAG        default: $IMAGE_TAG or local
#     --push           push every image (and the floor image) to ADDR/PREFIX/<function>:TAG, or to
#                      PREFIX/... as is when PREFIX starts with a registry host; without either, to
#                      the local registry (scripts/registry.sh, REGISTRY_PORT); writes the digests
#     --dry-run        print the build and push commands, run none (scripts/deploy.sh --dry-run)
#     --print-base     make sure the base image exists, print its name, build nothing else
#
# Besides each function's image: PREFIX/node-floor:TAG (node and its libraries alone, the runtime
# base every image starts from: the bench's floor), and per function, under .local/images/TAG/<fn>/,
# floor.json (the bytes of the files it needs) and sbom.cdx.json (CycloneDX), exported from the
# Dockerfile's report stage; pushing adds pushed.txt there (<function> <image>@<digest>).
# The table at the end: size (uncompressed, as the engine stores it), floor, ratio, and compressed
# (the layers a pull transfers, read from the registry's manifest; only after --push).
# Engine: docker where a daemon answers, else podman (scripts/container-engine.sh). Base image: the
# Dockerfile's NODE_IMAGE (node:<.node-version>-bookworm-slim); where it cannot be pulled (no
# registry reachable), an equivalent is built locally from a Debian root filesystem (mmdebstrap), the
# official Node build and npm from the npm registry (scripts/images/node-base.Dockerfile), and passed
# through the same NODE_IMAGE build-arg: the Dockerfile stays the one recipe for both paths.
# Behind a TLS-inspecting proxy (SSL_CERT_FILE / NODE_EXTRA_CA_CERTS name the host's CA bundle),
# podman builds mount that bundle read-only for npm; nothing of it stays in the image.
# A second run reuses the layer cache: npm ci is one layer shared by every function.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CACHE="${PURCHASE_STACK_CACHE:-$HOME/.cache/purchase-stack}"
die() { echo "images: $*" >&2; exit 1; }
usage() { sed -n '4,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

PREFIX="${IMAGE_PREFIX:-purchases}"; TAG="${IMAGE_TAG:-local}"; DRY_RUN=""; PRINT_BASE=""; PUSH=""; REGISTRY=""; ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; PREFIX="${2%/}"; shift ;;
    --tag) [ $# -ge 2 ] || usage; TAG="$2"; shift ;;
    --push) PUSH=1 ;;
    --registry) [ $# -ge 2 ] || usage; REGISTRY="${2%/}"; shift ;;
    --dry-run) DRY_RUN=1 ;;
    --print-base) PRINT_BASE=1 ;;
    -h|--help) usage ;;
    -*) echo "images: unknown option $1" >&2; usage ;;
    *) ONLY+=("$1") ;;
  esac
  shift
done

mapfile -t ALL < <(for f in functions/*/server.ts; do basename "$(dirname "$f")"; done | grep -vx shared)
FUNCTIONS=("${ONLY[@]:-${ALL[@]}}")
for fn in "${FUNCTIONS[@]}"; do [ -f "functions/$fn/server.ts" ] || die "no function '$fn' (one of: ${ALL[*]})"; done

source scripts/container-engine.sh
if ! pick_container_engine; then
  [ -n "$DRY_RUN" ] || die "no container engine: install docker (and start it) or podman (sudo bash scripts/install-system.sh)"
  CONTAINER_ENGINE=docker
fi
ENGINE="$CONTAINER_ENGINE"
run() {
  printf '+'; printf ' %q' "$@"; printf '\n'
  [ -n "$DRY_RUN" ] || "$@"
}

has_image() { "$ENGINE" image inspect "$1" >/dev/null 2>&1; }
# Fully qualified: podman matches a short name against any local image ending in it, which would
# take the local base for the official one.
qualified() {
  case "$1" in
    localhost/* | *.*/* | *:*/*) echo "$1" ;;
    */*) echo "docker.io/$1" ;;
    *) echo "docker.io/library/$1" ;;
  esac
}

NODE_VERSION="$(tr -d ' \n' <.node-version)"
NODE_IMAGE="$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)"
[ -n "$NODE_IMAGE" ] || die "the Dockerfile has no ARG NODE_IMAGE default"
NODE_IMAGE="$(qualified "$NODE_IMAGE")"
LOCAL_BASE="localhost/purchases-base/node:$NODE_VERSION-bookworm-slim"

# The official image if it is here or can be pulled, else the local equivalent (built once).
resolve_base() {
  if has_image "$NODE_IMAGE" || has_image "$LOCAL_BASE"; then
    has_image "$NODE_IMAGE" && BASE="$NODE_IMAGE" || BASE="$LOCAL_BASE"
    return
  fi
  echo "[images] pulling $NODE_IMAGE..." >&2
  if timeout 300 "$ENGINE" pull -q "$NODE_IMAGE" >/dev/null 2>"$CACHE/pull.log"; then BASE="$NODE_IMAGE"; return; fi
  echo "[images] cannot pull $NODE_IMAGE ($(tail -n 1 "$CACHE/pull.log" | cut -c1-160))" >&2
  echo "[images] building the equivalent $LOCAL_BASE from Debian packages and the npm registry" >&2
  build_local_base
  BASE="$LOCAL_BASE"
}

build_local_base() {
  command -v mmdebstrap >/dev/null || die "mmdebstrap not found (sudo bash scripts/install-system.sh)"
  local t0=$SECONDS rootfs="$CACHE/images/debian-bookworm-minbase.tar" ctx npm_version
  local rootfs_image="localhost/purchases-base/debian:bookworm-minbase"
  mkdir -p "$CACHE/images"
  if ! has_image "$rootfs_image"; then
    if [ ! -f "$rootfs" ]; then
      echo "[images]   Debian 12 root filesystem (mmdebstrap, about a minute)..." >&2
      # mmdebstrap picks the output format from the name: keep the .tar suffix on the partial file.
      mmdebstrap --quiet --variant=minbase --include=ca-certificates,libatomic1 bookworm "$rootfs.part.tar" \
        || die "mmdebstrap failed"
      mv "$rootfs.part.tar" "$rootfs"
    fi
    "$ENGINE" import -q "$rootfs" "$rootfs_image" >/dev/null
  fi
  source scripts/node-env.sh >/dev/null 2>&1 || true # for node_dist (and npm) only
  ctx="$(mktemp -d)"
  cp -a "$(node_dist "$NODE_VERSION")" "$ctx/node"
  # npm as the official image ships it: the latest npm 11 (the major Node 26 bundles).
  npm_version="$(npm view npm@11 version 2>/dev/null | tail -n 1 | sed "s/.* '\(.*\)'/\1/")"
  (cd "$ctx" && npm pack --silent "npm@${npm_version:-11}" >/dev/null && tar -xzf npm-*.tgz && mv package npm)
  "$ENGINE" build -q --network host --build-arg "ROOTFS=$rootfs_image" \
    -f scripts/images/node-base.Dockerfile -t "$LOCAL_BASE" "$ctx" >/dev/null \
    || { rm -rf "$ctx"; die "building $LOCAL_BASE failed"; }
  rm -rf "$ctx"
  echo "[images]   $LOCAL_BASE built in $((SECONDS - t0))s" >&2
}

if [ -n "$DRY_RUN" ]; then BASE="$NODE_IMAGE"; else resolve_base; fi
if [ -n "$PRINT_BASE" ]; then echo "$BASE"; exit 0; fi

build_args=(--build-arg "NODE_IMAGE=$BASE")
[ "$ENGINE" = podman ] && build_args+=(--network host)
ca="${NODE_EXTRA_CA_CERTS:-${SSL_CERT_FILE:-}}"
if [ "$ENGINE" = podman ] && [ -n "$ca" ] && [ -f "$ca" ]; then
  build_args+=(-v "$ca:/etc/ssl/host-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/host-ca.crt)
fi
[ -z "${PLATFORM:-}" ] || build_args+=(--platform "$PLATFORM")

OUT="$ROOT/.local/images/$TAG"
FLOOR_IMAGE="$PREFIX/node-floor:$TAG"
build() { # build <log> <args...>: quiet, the log's tail on failure
  local log="$1"; shift
  if [ -n "$DRY_RUN" ]; then run "$ENGINE" build "$@"; return; fi
  "$ENGINE" build "$@" >"$log" 2>&1 || { tail -n 40 "$log" >&2; die "$ENGINE build $* failed (full log: $log)"; }
}

echo "[images] ${#FUNCTIONS[@]} images and $FLOOR_IMAGE with $ENGINE from $BASE"
mkdir -p "$CACHE/images" "$OUT"
build "$CACHE/images/build-node-floor.log" -f Dockerfile --target runtime-base "${build_args[@]}" -t "$FLOOR_IMAGE" .
n=0
for fn in "${FUNCTIONS[@]}"; do
  n=$((n + 1)); image="$PREFIX/$fn:$TAG"; t0=$SECONDS
  echo "[images] [$n/${#FUNCTIONS[@]}] $image..."
  build "$CACHE/images/build-$fn.log" -f Dockerfile --build-arg "FUNCTION=$fn" "${build_args[@]}" -t "$image" .
  # The report stage from the layer cache: floor.json and sbom.cdx.json next to the image.
  [ -n "$DRY_RUN" ] || rm -rf "$OUT/$fn"
  build "$CACHE/images/report-$fn.log" -f Dockerfile --target report --build-arg "FUNCTION=$fn" "${build_args[@]}" \
    --output "type=local,dest=$OUT/$fn" .
  [ -n "$DRY_RUN" ] || echo "[images]   built in $((SECONDS - t0))s"
done

# ---------------------------------------------------------------- push
# The registry: --registry, else PREFIX's own host (registry.example.com/team/purchases), else the
# local one. Plain HTTP only on loopback.
host_of() { case "${1%%/*}" in localhost | localhost:* | *.*  | *:*) echo "${1%%/*}" ;; esac; }
PUSHED="$OUT/pushed.txt"
push() { # push <local name> <remote name>: sets REF to <remote>@<digest>
  local from="$1" to="$2" tls=() digest
  case "$to" in 127.0.0.1:* | localhost:* | localhost/*) tls=(--tls-verify=false) ;; esac
  [ "$from" = "$to" ] || run "$ENGINE" tag "$from" "$to"
  if [ "$ENGINE" = podman ]; then
    run podman push -q "${tls[@]}" --digestfile "$OUT/.digest" "$to"
    [ -n "$DRY_RUN" ] && digest="sha256:dry-run" || digest="$(cat "$OUT/.digest")"
  else
    run docker push -q "$to"
    [ -n "$DRY_RUN" ] && digest="sha256:dry-run" || digest="$(docker image inspect --format '{{join .RepoDigests "\n"}}' "$to" | sed -n "s|^${to%:*}@||p" | head -n 1)"
  fi
  [ -n "$digest" ] || die "no digest for $to after the push"
  REF="${to%:*}@$digest"
}
if [ -n "$PUSH" ]; then
  if [ -z "$REGISTRY" ] && [ -z "$(host_of "$PREFIX")" ]; then
    [ -n "$DRY_RUN" ] || bash scripts/registry.sh start
    REGISTRY="$(bash scripts/registry.sh addr)"
  fi
  echo "[images] pushing to ${REGISTRY:-$(host_of "$PREFIX")}"
  : >"$PUSHED.tmp"
  for fn in node-floor "${FUNCTIONS[@]}"; do
    push "$PREFIX/$fn:$TAG" "${REGISTRY:+$REGISTRY/}$PREFIX/$fn:$TAG"
    echo "[images]   $REF"
    echo "$fn $REF" >>"$PUSHED.tmp"
  done
  mv "$PUSHED.tmp" "$PUSHED"
fi

[ -n "$DRY_RUN" ] && exit 0
# ---------------------------------------------------------------- sizes
# Compressed: config and layers of the pushed manifest, as the registry serves them to a pull.
compressed() {
  local ref="$1" name digest host
  host="${ref%%/*}"; name="${ref#*/}"; digest="${name#*@}"; name="${name%@*}"
  curl -sf --max-time 5 -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$host/v2/$name/manifests/$digest" 2>/dev/null \
    | node -e 'let s="";process.stdin.on("data",(d)=>{s+=d}).on("end",()=>{const m=JSON.parse(s);console.log([m.config,...m.layers].reduce((n,l)=>n+l.size,0))})' 2>/dev/null
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
echo "[images] sizes (MB; floor: node, its libraries, CA bundle, the bundle and, with the Kafka client, its addon's libraries):"
printf '  %-42s %8s %8s %6s %11s\n' image size floor ratio compressed
for fn in node-floor "${FUNCTIONS[@]}"; do
  image="$PREFIX/$fn:$TAG"
  size="$("$ENGINE" image inspect --format '{{.Size}}' "$image")"
  if [ "$fn" = node-floor ]; then floor="" ; else
    floor="$(node -p 'require(process.argv[1]).bytes' "$OUT/$fn/floor.json")"
  fi
  comp=""
  if [ -n "$PUSH" ]; then
    ref="$(awk -v f="$fn" '$1 == f { print $2 }' "$PUSHED")"
    comp="$(compressed "$ref" || true)"
  fi
  printf '  %-42s %8s %8s %6s %11s\n' "$image" "$(mb "$size")" "${floor:+$(mb "$floor")}" \
    "${floor:+$(awk -v a="$size" -v b="$floor" 'BEGIN { printf "%.2fx", a / b }')}" "${comp:+$(mb "$comp")}"
done
