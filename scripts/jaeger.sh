#!/usr/bin/env bash
# Jaeger v2 (an OTLP receiver + trace store with a query API) for the tracing test and for looking at
# traces locally. Built once from the Go module proxy into $PURCHASE_STACK_CACHE/bin/jaeger.
#
# `go install github.com/jaegertracing/jaeger/cmd/jaeger@v1.76.0` is refused (its go.mod has a
# `replace` directive), so the build goes through a small wrapper module in the cache that requires
# jaeger with the same replace line (about 3 minutes on 2 cores; the v1.76.0 module holds the v2
# `jaeger` command).
#
#   jaeger.sh provision                 build if missing (idempotent), print the binary's path
#   jaeger.sh config <otlp> <query> [<grpc>]
#                                       a config file (stdout): in-memory storage, OTLP/HTTP on
#                                       127.0.0.1:<otlp>, query API on 127.0.0.1:<query>
#   jaeger.sh start <otlp> <query> <dir> [<grpc>]
#                                       provision, write <dir>/jaeger.yaml, run in the foreground
set -euo pipefail

CACHE="${PURCHASE_STACK_CACHE:-$HOME/.cache/purchase-stack}"
JAEGER_VERSION="v1.76.0"
JAEGER_BIN="$CACHE/bin/jaeger-$JAEGER_VERSION"

die() { echo "jaeger: $*" >&2; exit 1; }

jaeger_ok() { [ -x "$JAEGER_BIN" ] && "$JAEGER_BIN" version >/dev/null 2>&1; }

provision() {
  mkdir -p "$CACHE/bin"
  exec 9>"$CACHE/.jaeger.lock"
  command -v flock >/dev/null && flock 9 # parallel provisions wait for each other
  if jaeger_ok; then echo "$JAEGER_BIN"; return; fi
  command -v go >/dev/null || die "'go' not found: install Go >= 1.25 (https://go.dev/dl)"
  local t0=$SECONDS mod="$CACHE/jaeger-build"
  echo -n "[provision] jaeger $JAEGER_VERSION: building from the Go module proxy (about 3 minutes)... " >&2
  rm -rf "$mod" && mkdir -p "$mod"
  cat >"$mod/go.mod" <<EOF
module purchase-stack/jaeger

go 1.25

require github.com/jaegertracing/jaeger $JAEGER_VERSION

replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
EOF
  # The import makes `go mod tidy` resolve the command's whole dependency graph; the build tag keeps
  # this wrapper itself from ever being compiled.
  cat >"$mod/tools.go" <<'EOF'
//go:build tools

package tools

import _ "github.com/jaegertracing/jaeger/cmd/jaeger"
EOF
  (cd "$mod" && export GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 &&
    go mod tidy >"$mod/build.log" 2>&1 &&
    go build -trimpath -o "$CACHE/bin/.jaeger.tmp.$$" github.com/jaegertracing/jaeger/cmd/jaeger >>"$mod/build.log" 2>&1) \
    || { echo >&2; tail -n 30 "$mod/build.log" >&2; rm -f "$CACHE/bin/.jaeger.tmp.$$"; die "build failed (log: $mod/build.log)"; }
  mv -f "$CACHE/bin/.jaeger.tmp.$$" "$JAEGER_BIN"
  jaeger_ok || die "built $JAEGER_BIN but it does not run"
  echo "done in $((SECONDS - t0))s" >&2
  echo "$JAEGER_BIN"
}

# Jaeger's all-in-one config with every port moved: OTLP/HTTP and the query API where asked, OTLP
# gRPC on a third port (default: query + 1); the collector's own telemetry off (it would take :8888).
config() {
  local otlp=$1 query=$2 grpc=${3:-$(($2 + 1))}
  cat <<EOF
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:$query
    grpc:
      endpoint: 127.0.0.1:$grpc
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$otlp
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
EOF
}

case "${1:-}" in
  provision) provision ;;
  config) [ $# -ge 3 ] || die "usage: jaeger.sh config <otlp-port> <query-port> [<grpc-port>]"; config "$2" "$3" "${4:-}" ;;
  start)
    [ $# -ge 4 ] || die "usage: jaeger.sh start <otlp-port> <query-port> <dir> [<grpc-port>]"
    bin="$(provision)"
    mkdir -p "$4"
    config "$2" "$3" "${5:-}" >"$4/jaeger.yaml"
    exec "$bin" --config "file:$4/jaeger.yaml"
    ;;
  *) die "usage: jaeger.sh provision | config <otlp> <query> [<grpc>] | start <otlp> <query> <dir> [<grpc>]" ;;
esac
