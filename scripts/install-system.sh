#!/usr/bin/env bash
# Installs the Debian packages the project needs on a fresh machine:
# dev libraries so the Kafka client builds against system libs (CKJS_LINKING=dynamic),
# kcat, promtool (from prometheus), chromium for the browser tests, python3-venv for the
# contract check's Schemathesis (scripts/contract.sh) and PostgreSQL, FerretDB's storage in the
# local stack (scripts/stack.sh), and podman/buildah/runc/mmdebstrap to build and run the images
# where no Docker daemon answers (scripts/images.sh), and docker-registry (CNCF Distribution) for the
# local registry the images are pushed to and pulled from (scripts/registry.sh).
# Skips everything already present; needs root (or sudo).
set -euo pipefail
pkgs=(zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev kcat prometheus chromium python3-venv postgresql
  podman buildah runc mmdebstrap docker-registry
  unzip curl) # Keycloak: unpacking its distribution, its readiness check (scripts/keycloak.sh)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "system packages: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: done"
