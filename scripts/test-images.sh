#!/usr/bin/env bash
# npm run test:images: builds every function's image (scripts/images.sh, layer-cached), then runs
# against the real local stack, with each function started from its image as a Knative revision
# runs it (harness/containers.ts):
#   - test/images/: probes, uid and read-only root filesystem, the Kafka addon, SIGTERM in flight;
#   - the first request right after readiness, the end-to-end pipeline and the web page in
#     Chromium (the same test files npm test runs with processes);
#   - the Schemathesis contract check of both APIs (scripts/contract.sh);
#   - test/images/registry.test.ts pushes them to the local registry (scripts/registry.sh,
#     REGISTRY_PORT) and pulls one back; a registry this run started is stopped at the end.
# Pass test files to run a subset (the contract check then is skipped): npm run test:images -- <file>
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh
source scripts/container-engine.sh
pick_container_engine || { echo "test:images: no container engine (docker or podman): sudo bash scripts/install-system.sh" >&2; exit 1; }

echo "==> images ($CONTAINER_ENGINE)"
bash scripts/images.sh

source scripts/stack-guard.sh
start_stack_for_this_run
remove_containers() { node -e 'import("./harness/containers.ts").then((m) => m.removeLeftoverContainers())' || true; }
registry_was_up=""; bash scripts/registry.sh status >/dev/null 2>&1 && registry_was_up=1
stop_registry() { [ -n "$registry_was_up" ] || bash scripts/registry.sh stop; }
trap 'remove_containers; stop_started_stack; stop_registry' EXIT

export FUNCTION_RUNTIME=container
if [ $# -gt 0 ]; then
  files=("$@")
else
  files=(test/images/*.test.ts test/e2e/first-request.test.ts test/e2e/pipeline.test.ts test/web/purchase-flow.test.ts)
fi
echo "==> node --test through the containers (${#files[@]} files)"
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"

if [ $# -eq 0 ]; then
  echo "==> contract check through the containers"
  bash scripts/contract.sh
fi
