#!/usr/bin/env bash
# npm test: type-check, lint/format check, then node --test over every *.test.ts against the real
# local stack. Starts Kafka/FerretDB if they are not running, and stops only what it started.
# Pass test files to run a subset: npm test -- functions/buy/app.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh

echo "==> typecheck (tsc --noEmit)"
npx --no-install tsc --noEmit
echo "==> lint + format check (biome)"
npx --no-install biome check .

source scripts/stack-guard.sh
start_stack_for_this_run

if [ $# -gt 0 ]; then
  files=("$@")
else
  # test/images/ needs the built images: npm run test:images runs it.
  mapfile -t files < <(find functions kafka-source scripts test web -name '*.test.ts' -not -path '*/node_modules/*' \
    -not -path 'test/images/*' 2>/dev/null | sort)
fi
echo "==> node --test (${#files[@]} files)"
# One file at a time: some tests stop and restart the shared broker or database.
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
