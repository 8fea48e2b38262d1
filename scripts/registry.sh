#!/usr/bin/env bash
# A local OCI registry for the images: CNCF Distribution, Debian's docker-registry package
# (scripts/install-system.sh). Loopback only, plain HTTP (engines push to it with
# --tls-verify=false), storage under .local/registry/<port> (git-ignored).
#
#   scripts/registry.sh start|stop|status|addr
#   Env: REGISTRY_PORT (default 5000)
# `start` returns once GET /v2/ answers 200 and prints nothing else but errors; `addr` prints
# 127.0.0.1:<port>. npm run images -- --push, scripts/deploy.sh local, the bench and CI start it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${REGISTRY_PORT:-5000}"
ADDR="127.0.0.1:$PORT"
DIR="$ROOT/.local/registry/$PORT"
PIDFILE="$DIR/registry.pid"
die() { echo "registry: $*" >&2; exit 1; }

answers() { curl -sf -o /dev/null --max-time 2 "http://$ADDR/v2/"; }
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-}" in
  addr) echo "$ADDR" ;;
  status)
    if answers; then echo "registry: up at $ADDR (storage $DIR/data)"; else echo "registry: down ($ADDR)"; exit 1; fi ;;
  start)
    answers && exit 0
    command -v docker-registry >/dev/null || die "docker-registry not found (sudo bash scripts/install-system.sh)"
    mkdir -p "$DIR/data"
    # Deletes allowed so that a test or the bench can clean up what it pushed; no auth: loopback only.
    cat >"$DIR/config.yml" <<CONF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $DIR/data
  delete:
    enabled: true
http:
  addr: $ADDR
CONF
    # setsid: the registry outlives this script (and the npm run that started it) until `stop`.
    setsid docker-registry serve "$DIR/config.yml" >>"$DIR/registry.log" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
      answers && exit 0
      running || { tail -n 20 "$DIR/registry.log" >&2; die "docker-registry exited (log: $DIR/registry.log)"; }
      sleep 0.1
    done
    die "no answer on http://$ADDR/v2/ within 10 s (log: $DIR/registry.log)" ;;
  stop)
    if running; then kill "$(cat "$PIDFILE")"; fi
    rm -f "$PIDFILE" ;;
  *) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
