#!/usr/bin/env bash
# npm test: type-check, lint/format check (with the import rules of docs/local-development.md#layout), then
# node --test over every test file against the real local stack. Starts Kafka/FerretDB if they are
# not running, and stops only what it started.
# Pass test files to run a subset: npm test -- functions/buy/app.test.ts
#
# Test tiers, by file name:
#   *.unit.test.ts    no broker, no database, no stack: npm run test:unit (--unit), the editing loop,
#                     and npm run test:watch (--watch), which reruns them on every save
#   *.serial.test.ts  stop or start a shared service of the stack (the broker, the database,
#                     Keycloak): after everything else, one at a time (Keycloak's beside the others)
#   *.test.ts         the stack tier: each file makes its own topics, databases, consumer groups,
#                     ids and ports (harness/names.ts), so files run side by side; a file that takes
#                     the broker or the database down does it to a stack of its own
#                     (harness/private-stack.ts) and runs in a lane of its own beside them
# test/images/ needs the built images: npm run test:images.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
shopt -s globstar nullglob

FOLDERS=(functions harness kafka-source scripts test web)
# Stack-tier files at once (with the unit files). Most of a stack file's time is waiting (a consumer
# group joining, a broker round trip, a function starting), so more files than cores overlap; a
# file that starts the whole system runs ~8 Node processes, so 4 stay well inside memory. With 4,
# this phase took 97-132 s on the shared 2-core machine (load 5-17); with 6, 86 s, for a load of 20
# on a machine others share: 4 leaves them room. TEST_CONCURRENCY overrides it.
STACK_CONCURRENCY="${TEST_CONCURRENCY:-4}"

# Unit files at once in watch mode: three per core (the slow ones wait rather than compute).
UNIT_CONCURRENCY="$(( $(nproc) * 3 ))"
# The unit tier runs in UNIT_SHARDS node processes at once, each running its share of the files
# inside itself (--test-isolation=none) instead of one process per file: a unit file's own work is
# small next to starting Node and loading the same modules again (~0.4 CPU-s a file). On the quiet
# 2-core machine the tier took 12.2 s with a process per file (23 CPU-s) and 8.7-8.8 s in 3 shards
# (13 CPU-s); 2 shards 9.8-9.9 s. No unit file holds a native handle or changes process-wide state
# another relies on (checked by running every file this way; the stack tiers keep a process per file).
UNIT_SHARDS="${UNIT_SHARDS:-3}"

# Runs the unit files given in UNIT_SHARDS processes at once and prints their reports in order;
# fails if any shard failed.
unit_tier() {
  local n=$UNIT_SHARDS dir i rc=0 pids=()
  if [ "$#" -lt "$n" ]; then n=$#; fi
  dir="$(mktemp -d)"
  for ((i = 1; i <= n; i++)); do
    node --test --test-isolation=none --test-shard="$i/$n" --test-reporter=spec "$@" >"$dir/$i.txt" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || rc=1; done
  cat "$dir"/*.txt
  echo "(unit tier: $n processes, $(awk '/^ℹ tests/ {t += $3} /^ℹ fail/ {f += $3} END {print t " tests, " f " failed"}' "$dir"/*.txt))"
  rm -rf "$dir"
  return "$rc"
}

# Node's on-disk compile cache for every process the tests start: each test file is a Node process
# of its own that loads the same TypeScript and packages; reusing their compiled code cut the unit
# tier's CPU by about a fifth here (32-36 s to 25-27 s). Only for tests: the bench measures starts
# as a new pod has them, without it.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$PWD/.local/node-compile-cache}"

# One line per file; an empty argument would make node --test search the whole tree by itself.
unit_files() { for d in "${FOLDERS[@]}"; do for f in "$d"/**/*.unit.test.ts; do echo "$f"; done; done; }

# Addresses where nothing listens: a unit test that reaches for the broker or the database fails
# instead of quietly using a stack that happens to run.
no_stack() {
  export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9 MONGODB_URI=mongodb://127.0.0.1:9/unit MONGODB_TIMEOUT_MS=500
}

case "${1:-}" in
  --unit)
    shift
    mapfile -t files < <(unit_files)
    echo "==> node --test, unit tier, no stack (${#files[@]} files)"
    no_stack
    unit_tier "$@" "${files[@]}"
    exit
    ;;
  --watch)
    shift
    mapfile -t files < <(unit_files)
    no_stack
    exec node --test --watch --test-concurrency="$UNIT_CONCURRENCY" --test-reporter=spec "$@" "${files[@]}"
    ;;
esac

echo "==> typecheck (tsc --noEmit)"
npx --no-install tsc --noEmit
echo "==> lint + format check, import rules (biome)"
npx --no-install biome check .

source scripts/stack-guard.sh
start_stack_for_this_run

if [ $# -gt 0 ]; then
  candidates=("$@")
else
  candidates=()
  for d in "${FOLDERS[@]}"; do
    for f in "$d"/**/*.test.ts; do [[ "$f" == test/images/* ]] || candidates+=("$f"); done
  done
fi
unit=() own_stack=() stack_tier=() serial=()
for f in "${candidates[@]}"; do
  if [[ "$f" == *.serial.test.ts ]]; then serial+=("$f")
  elif [[ "$f" == *.unit.test.ts ]]; then unit+=("$f")
  elif grep -q usePrivateStack "$f"; then own_stack+=("$f")
  else stack_tier+=("$f"); fi
done

# Three lanes at once, then the serial tier:
# - the stack tier, STACK_CONCURRENCY files at once, reported as it goes;
# - the files with a stack of their own (harness/private-stack.ts: they stop, kill or hang their own
#   broker or database), 4 at once: the longest files of the run, each first starting its stack, so
#   they start at once rather than where node --test's sorted order would put them (the campaign
#   last, ending the phase alone). With 3 at once the campaign still started third and this lane
#   ended the phase (169 s against 132 s for the stack tier, load 6-13);
# - the unit tier in UNIT_SHARDS processes (unit_tier, above), without --test-force-exit (below)
#   and with no stack to reach.
# The two background lanes' reports go to test-results/tiers/ and are printed when they end.
#
# --test-force-exit: a file whose tests are done exits even if a native handle (a Kafka client a
# failed test could not close) would keep it alive; without it one such file hangs the whole run.
# Its price: a file that exits this way can leave its last results out of the report (seen once:
# 15 of buy's unit tests unreported, all run), so the counts are a lower bound; a file with a failed
# test still exits 1 and fails the run (docs/testing.md#what-npm-test-runs). A unit file holds no
# native handle, so the unit lane goes without it and reports every result.
status=0
reports=test-results/tiers
mkdir -p "$reports"
lanes=()
background_lane() { # name, then the node --test arguments
  local name=$1; shift
  echo "==> node --test, $name (in the background: $reports/$name.txt)"
  (
    t0=$SECONDS
    rc=0
    if [ "$name" = unit ]; then
      no_stack
      unit_tier "$@" >"$reports/$name.txt" 2>&1 || rc=$?
    else
      node --test --test-reporter=spec "$@" >"$reports/$name.txt" 2>&1 || rc=$?
    fi
    echo "($name: $((SECONDS - t0)) s, exit $rc)" >>"$reports/$name.txt"
    exit "$rc"
  ) &
  lanes+=("$name:$!")
}
# Waits for the background lanes, prints their reports; a lane that failed fails the run.
wait_lanes() {
  local lane
  for lane in "${lanes[@]}"; do
    wait "${lane#*:}" || status=1
    echo "==> $reports/${lane%%:*}.txt"
    cat "$reports/${lane%%:*}.txt"
  done
  lanes=()
}
if [ ${#unit[@]} -gt 0 ]; then
  background_lane unit "${unit[@]}"
fi
if [ ${#own_stack[@]} -gt 0 ]; then
  background_lane "own-stack" --test-concurrency=4 --test-force-exit "${own_stack[@]}"
fi
if [ ${#stack_tier[@]} -gt 0 ]; then
  echo "==> node --test, stack tier, ${STACK_CONCURRENCY} files at once (${#stack_tier[@]} files)"
  t0=$SECONDS
  node --test --test-concurrency="$STACK_CONCURRENCY" --test-force-exit --test-reporter=spec \
    "${stack_tier[@]}" || status=$?
  echo "(stack tier: $((SECONDS - t0)) s)"
fi
wait_lanes
# The serial tier: the files that take a shared service down, one at a time, except that a file that
# stops Keycloak (stopKeycloak) runs beside the others, which stop or hang only the broker or the
# database and check tokens against the in-process test issuer, not Keycloak.
if [ ${#serial[@]} -gt 0 ]; then
  keycloak=() others=()
  for f in "${serial[@]}"; do
    if grep -q stopKeycloak "$f"; then keycloak+=("$f"); else others+=("$f"); fi
  done
  echo "==> node --test, serial tier (${#serial[@]} files): one at a time, Keycloak's beside the others"
  t0=$SECONDS
  if [ ${#keycloak[@]} -gt 0 ]; then
    background_lane serial-keycloak --test-concurrency=1 --test-force-exit "${keycloak[@]}"
  fi
  if [ ${#others[@]} -gt 0 ]; then
    node --test --test-concurrency=1 --test-force-exit --test-reporter=spec "${others[@]}" || status=$?
  fi
  wait_lanes
  echo "(serial tier: $((SECONDS - t0)) s)"
fi
exit "$status"
