# Sourced by images.sh, test-images.sh and deploy.sh: picks the container engine and sets it up.
# docker where a daemon answers, else podman (scripts/install-system.sh installs it). CONTAINER_ENGINE
# overrides the choice. For podman, a containers.conf of the project's own (CONTAINERS_CONF, not the
# machine's global file) carries what sandboxes like ours need, harmless elsewhere:
#   - runc: Debian 12's crun refuses a hybrid cgroup layout ("cgroups in hybrid mode not supported");
#   - explicit ulimits: podman's defaults (nproc 1048576...) are refused by setrlimit in a sandbox;
#   - cgroupfs and file events: no systemd/journald to talk to.
# Exports CONTAINER_ENGINE (and CONTAINERS_CONF for podman) for the commands and tests that follow.
pick_container_engine() {
  local e="${CONTAINER_ENGINE:-}"
  if [ -z "$e" ]; then
    if command -v docker >/dev/null && docker info >/dev/null 2>&1; then e=docker
    elif command -v podman >/dev/null && podman info >/dev/null 2>&1; then e=podman
    else return 1
    fi
  fi
  CONTAINER_ENGINE="$e"
  export CONTAINER_ENGINE
  if [ "$e" = podman ] && [ -z "${CONTAINERS_CONF:-}" ]; then
    local conf="${PURCHASE_STACK_CACHE:-$HOME/.cache/purchase-stack}/containers.conf"
    mkdir -p "$(dirname "$conf")"
    local runtime=""
    command -v runc >/dev/null && runtime='runtime = "runc"'
    cat >"$conf.tmp" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
$runtime
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
    mv "$conf.tmp" "$conf"
    export CONTAINERS_CONF="$conf"
  fi
}
