#!/usr/bin/env bash
# Knative's admission checks, offline (main.go): builds the checker once per version of its
# sources into $PURCHASE_STACK_CACHE/admission/<hash>/ (outside the work tree; default
# ~/.cache/purchase-stack), then runs it. Needs Go >= 1.25 on a cold cache only; the modules come
# from the Go module proxy (GOPROXY/GOFLAGS as the machine has them).
#
#   scripts/admission/admission.sh [-json] [file...]     check manifests (no file: stdin)
#   scripts/admission/admission.sh --build-only          build if needed, print the binary's path
#   kubectl kustomize knative | scripts/admission/admission.sh
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${PURCHASE_STACK_CACHE:-$HOME/.cache/purchase-stack}"
key="$(cat "$DIR/go.mod" "$DIR/go.sum" "$DIR"/*.go | sha256sum | cut -c1-16)"
BIN="$CACHE/admission/$key/admission"

die() { echo "admission: $*" >&2; exit 2; }

build() {
  command -v go >/dev/null || die "Go is not installed (https://go.dev/dl; >= 1.25, see README prerequisites)"
  mkdir -p "$CACHE/admission/$key"
  exec 9>"$CACHE/admission/.lock"
  command -v flock >/dev/null && flock 9 # a parallel build waits, then finds the binary
  [ -x "$BIN" ] && return
  local t0=$SECONDS
  echo -n "[provision] admission checker (knative.dev/serving v0.50.0): building with Go, about a minute on a cold cache... " >&2
  # GOTOOLCHAIN=local: use the installed Go, never download another toolchain.
  if ! (cd "$DIR" && GOTOOLCHAIN=local go build -trimpath -o "$BIN.tmp.$$" . 2>"$CACHE/admission/build.log"); then
    echo >&2
    tail -n 20 "$CACHE/admission/build.log" >&2
    rm -f "$BIN.tmp.$$"
    die "build failed (log: $CACHE/admission/build.log)"
  fi
  mv -f "$BIN.tmp.$$" "$BIN"
  echo "done in $((SECONDS - t0))s ($BIN)" >&2
}

[ -x "$BIN" ] || build
if [ "${1:-}" = --build-only ]; then echo "$BIN"; exit 0; fi
exec "$BIN" "$@"
