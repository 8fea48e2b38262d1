# Sourced by test.sh, contract.sh and dev.sh: start the local stack for this command and, on exit,
# stop only the services this command started (a stack that was already running stays running).
stack_started=()
stop_started_stack() {
  for s in "${stack_started[@]}"; do bash scripts/stack.sh stop "$s" || true; done
}
start_stack_for_this_run() {
  for s in kafka mongo keycloak; do bash scripts/stack.sh running "$s" || stack_started+=("$s"); done
  trap stop_started_stack EXIT
  echo "==> local stack"
  bash scripts/stack.sh start
}
