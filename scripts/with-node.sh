#!/usr/bin/env bash
# Runs a command with the project's Node first on PATH (scripts/node-env.sh): npm run bench, ...
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh >&2
exec "$@"
