# Sourced by every project script (test.sh, dev.sh, contract.sh, with-node.sh, .ci/run): makes the
# Node the images ship (.node-version) the `node` on PATH. Where the machine's node is another
# major, the official build of that version is taken from the npm registry package
# node-linux-<arch> (binary + headers, no npm inside) into $PURCHASE_STACK_CACHE, put first on PATH,
# and npm_config_nodedir points node-gyp at its headers, so the Kafka client's addon is built for
# it without a download from nodejs.org. A user whose node already has that major sees no change.
# Then the addon is checked to load under this node (rebuilt by scripts/postinstall.mjs if not).
_node_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_WANTED="$(tr -d ' \n' <"$_node_root/.node-version")"
NODE_MAJOR="${NODE_WANTED%%.*}"

# Prints the folder holding the official build of Node $1 (bin/node, include/node), fetching it once.
node_dist() {
  local version="$1" arch dir tmp
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) echo "node: no official Node build for $(uname -m); install Node $version yourself" >&2; return 1 ;;
  esac
  dir="${PURCHASE_STACK_CACHE:-$HOME/.cache/purchase-stack}/node-v$version-linux-$arch"
  if [ ! -x "$dir/bin/node" ]; then
    echo "[node] fetching Node $version (node-linux-$arch from the npm registry)..." >&2
    command -v npm >/dev/null || { echo "node: npm is needed once to fetch Node $version" >&2; return 1; }
    tmp="$(mktemp -d)"
    if ! (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null \
      && tar -xzf node-linux-*.tgz && package/bin/node --version >/dev/null); then
      rm -rf "$tmp"
      echo "node: could not fetch or run Node $version" >&2
      return 1
    fi
    mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/package" "$dir" && rm -rf "$tmp"
  fi
  echo "$dir"
}

if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" != "$NODE_MAJOR" ]; then
  echo "[node] the machine's node is $(node --version 2>/dev/null || echo 'missing'); this project runs Node $NODE_MAJOR" >&2
  _node_dir="$(node_dist "$NODE_WANTED")" || exit 1
  export PATH="$_node_dir/bin:$PATH"
  export npm_config_nodedir="$_node_dir"
fi
echo "[node] $(node --version) at $(command -v node)"

# node_modules built by another Node (another ABI): rebuild the Kafka client's addon for this one.
if [ -d "$_node_root/node_modules/@confluentinc/kafka-javascript" ] \
  && ! (cd "$_node_root" && node -e 'require("@confluentinc/kafka-javascript")' >/dev/null 2>&1); then
  (cd "$_node_root" && node scripts/postinstall.mjs)
fi
