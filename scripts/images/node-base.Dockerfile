# The equivalent of the official node:<version>-bookworm-slim image, for machines that cannot pull
# it (no registry reachable). scripts/images.sh builds it only when the pull fails, from:
#   ROOTFS: a Debian 12 minbase root filesystem (mmdebstrap) with ca-certificates and libatomic1
#           (Node 26 does not start without libatomic1);
#   node/:  the official Linux build of that Node release (npm registry package node-linux-<arch>);
#   npm/:   the npm registry's npm package.
# Unlike the official image it keeps Node's headers under /usr/local/include/node and points
# node-gyp at them (npm_config_nodedir), because node-gyp would otherwise download them from
# nodejs.org. The user `node` (uid/gid 1000) matches the official image and the Services' runAsUser.
ARG ROOTFS
FROM ${ROOTFS}
COPY node/bin/node /usr/local/bin/node
COPY node/include/node /usr/local/include/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
  && node --version && npm --version
ENV npm_config_nodedir=/usr/local
CMD ["node"]
