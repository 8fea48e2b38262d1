#!/usr/bin/env bash
# npm start: install what is missing, provision and start the local stack (Kafka, FerretDB, Keycloak),
# then every function, the local KafkaSource dispatcher and the gateway. Ctrl-C stops all of it,
# including the stack services this command started. The functions verify tokens of the local
# Keycloak (scripts/dev.ts prints its test shoppers and the token command). `npm start --
# --monitoring` also starts a local Prometheus (harness/prometheus.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules/@confluentinc/kafka-javascript ] || [ ! -d node_modules/hono ]; then
  echo "==> installing dependencies"
  if [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null; then bash scripts/install-system.sh; fi
  source scripts/node-env.sh
  npm install
fi
source scripts/node-env.sh

source scripts/stack-guard.sh
start_stack_for_this_run
trap 'exit 130' INT TERM
node scripts/dev.ts "$@"
