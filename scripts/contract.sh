#!/usr/bin/env bash
# npm run test:contract: Schemathesis (property-based API testing from the OpenAPI documents) against
# the whole system running locally. Installs the pinned Schemathesis (scripts/contract-requirements.txt)
# into a virtualenv under the stack cache on first use, starts Kafka/FerretDB if they are not running
# (and stops only what it started), then scripts/contract.ts starts the functions and runs it
# against both APIs.
# CONTRACT_SEED and CONTRACT_MAX_EXAMPLES override the fixed seed and the examples per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh

# One virtualenv per version of the pinned requirements: a change to them gets a fresh one.
REQUIREMENTS=scripts/contract-requirements.txt
VENV="${PURCHASE_STACK_CACHE:-$HOME/.cache/purchase-stack}/schemathesis-$(sha256sum "$REQUIREMENTS" | cut -c1-12)"
if [ ! -x "$VENV/bin/st" ]; then
  echo "==> installing $(grep '^schemathesis==' "$REQUIREMENTS") into $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --requirement "$REQUIREMENTS"
fi

source scripts/stack-guard.sh
start_stack_for_this_run

SCHEMATHESIS_BIN="$VENV/bin/st" node scripts/contract.ts
