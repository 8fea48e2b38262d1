#!/usr/bin/env bash
# npm test: type-check, lint/format check (with the import rules of README "Layout"), then
# node --test over every *.test.ts against the real local stack. Starts Kafka/FerretDB if they are
# not running, and stops only what it started.
# Pass test files to run a subset: npm test -- functions/buy/app.test.ts
#
# npm run test:unit (--unit): only the test files that need no broker and no database
# (harness/unit-tests.ts picks them), without type-check, lint or the stack: the loop while editing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh

if [ "${1:-}" = "--unit" ]; then
  shift
  mapfile -t files < <(node harness/unit-tests.ts)
  echo "==> node --test, no stack (${#files[@]} files)"
  # Addresses where nothing listens: a test that reaches for the broker or the database fails
  # instead of quietly using a stack that happens to run.
  export KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9 MONGODB_URI=mongodb://127.0.0.1:9/unit MONGODB_TIMEOUT_MS=500
  # Files in parallel, one per core: none of them shares a broker or a database.
  exec node --test --test-concurrency="$(nproc)" --test-reporter=spec "$@" "${files[@]}"
fi

echo "==> typecheck (tsc --noEmit)"
npx --no-install tsc --noEmit
echo "==> lint + format check, import rules (biome)"
npx --no-install biome check .

source scripts/stack-guard.sh
start_stack_for_this_run

if [ $# -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(node harness/unit-tests.ts --all)
fi
echo "==> node --test (${#files[@]} files)"
# One file at a time: some tests stop and restart the shared broker or database.
# --test-force-exit: a file whose tests are done exits even if a native handle (a Kafka client a
# failed test could not close) would keep it alive; without it one such file hangs the whole run.
node --test --test-concurrency=1 --test-force-exit --test-reporter=spec "${files[@]}"
