#!/usr/bin/env bash
# npm test: type-check, lint/format check (with the import rules of docs/local-development.md#layout), then
# node --test over every test file against the real local stack. Starts Kafka/FerretDB if they are
# not running, and stops only what it started.
# Pass test files to run a subset: npm test -- functions/buy/app.test.ts
#
# Test tiers, by file name:
#   *.unit.test.ts    no broker, no database, no stack: npm run test:unit (--unit), the editing loop,
#                     and npm run test:watch (--watch), which reruns them on every save
#   *.serial.test.ts  stop or start a shared service of the stack (the broker, the database): alone,
#                     one at a time, after everything else
#   *.test.ts         the stack tier: each file makes its own topics, databases, consumer groups,
#                     ids and ports (harness/names.ts), so files run side by side
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

# Unit files at once: three per core. None shares anything, and the slow ones wait (a child
# process's SIGTERM, a timer) rather than compute: on the 2-core machine, at load 15-20, 6 at once
# ran the tier in 41-47 s against 69-87 s for 2 (node's own default is cores - 1).
UNIT_CONCURRENCY="$(( $(nproc) * 3 ))"

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
    exec node --test --test-concurrency="$UNIT_CONCURRENCY" --test-reporter=spec "$@" "${files[@]}"
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
# A file with a stack of its own (harness/private-stack.ts: it takes its own broker or database down)
# is among the longest of its tier and spends its first 10-25 s starting that stack: such files go
# first, so that they do not end the phase alone. node --test starts files in the order given.
side_by_side=() own_stack=() serial=()
for f in "${candidates[@]}"; do
  if [[ "$f" == *.serial.test.ts ]]; then serial+=("$f")
  elif grep -q usePrivateStack "$f"; then own_stack+=("$f")
  else side_by_side+=("$f"); fi
done
side_by_side=("${own_stack[@]}" "${side_by_side[@]}")

# --test-force-exit: a file whose tests are done exits even if a native handle (a Kafka client a
# failed test could not close) would keep it alive; without it one such file hangs the whole run.
# Its price: a file that exits this way can leave its last results out of the report (seen once:
# 15 of buy's unit tests unreported, all run), so the counts are a lower bound; a file with a failed
# test still exits 1 and fails the run (docs/testing.md#what-npm-test-runs).
status=0
if [ ${#side_by_side[@]} -gt 0 ]; then
  echo "==> node --test, unit and stack tiers, ${STACK_CONCURRENCY} files at once (${#side_by_side[@]} files)"
  node --test --test-concurrency="$STACK_CONCURRENCY" --test-force-exit --test-reporter=spec \
    "${side_by_side[@]}" || status=$?
fi
if [ ${#serial[@]} -gt 0 ]; then
  echo "==> node --test, serial tier, one file at a time (${#serial[@]} files)"
  node --test --test-concurrency=1 --test-force-exit --test-reporter=spec "${serial[@]}" || status=$?
fi
exit "$status"
