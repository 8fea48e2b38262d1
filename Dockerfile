# syntax=docker/dockerfile:1
# One image per function: docker build --build-arg FUNCTION=buy -t purchases/buy .
# (npm run images builds all of them, with docker or podman; scripts/deploy.sh builds through it.) The image runs dist/<FUNCTION>, the folder that
# scripts/bundle.ts makes and test/deploy/bundle.test.ts starts and stops: node index.mjs, $PORT,
# exit 0 on SIGTERM. Nothing is written at run time, so a read-only root filesystem works.
# The Node of .node-version (the Active LTS), which the tests and the bench run too. Where this
# cannot be pulled, scripts/images.sh builds an equivalent locally and passes it here.
ARG NODE_IMAGE=node:26.12.1-bookworm-slim

# ---------------------------------------------------------------- build
FROM ${NODE_IMAGE} AS build
# The Kafka client (@confluentinc/kafka-javascript) is built from source against Debian's
# libraries (CKJS_LINKING=dynamic), as scripts/install-system.sh does on a dev machine, so the
# runtime image needs only their runtime packages. node-gyp needs python3, make and g++.
RUN apt-get update \
  && apt-get install -y --no-install-recommends \
    python3 make g++ zlib1g-dev libssl-dev libzstd-dev liblz4-dev libsasl2-dev \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Empty by default. Behind a TLS-inspecting proxy, scripts/images.sh mounts the host's CA bundle
# for the build only and names it here, so npm trusts the proxy; nothing of it reaches the image.
ARG NODE_EXTRA_CA_CERTS
COPY package.json package-lock.json ./
COPY scripts/postinstall.mjs scripts/postinstall.mjs
# build_from_source: never the prebuilt binary (statically linked, fetched from GitHub); the same
# build everywhere, and no download the build cannot verify.
RUN CKJS_LINKING=dynamic npm_config_build_from_source=true npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/bundle.ts scripts/bundle.ts
COPY build/bundle.ts build/
COPY harness/root.ts harness/
COPY functions functions
COPY web web
ARG FUNCTION
RUN test -n "$FUNCTION" || { echo "build with --build-arg FUNCTION=<name> (a folder of functions/)" >&2; exit 1; }
RUN node scripts/bundle.ts --only "$FUNCTION"

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE}
ARG FUNCTION
LABEL org.opencontainers.image.title="purchases/${FUNCTION}" \
  org.opencontainers.image.description="Knative function ${FUNCTION} of the purchase system"
WORKDIR /app
COPY --from=build /src/dist/${FUNCTION} /app
# Only the functions that ship the Kafka client get the shared libraries its addon links
# (ldd: libssl/libcrypto, libsasl2, libzstd, liblz4, libz), and the build fails here, not at the
# first pod start, if the addon does not load.
RUN if [ -d node_modules/@confluentinc/kafka-javascript ]; then \
    apt-get update \
    && apt-get install -y --no-install-recommends libssl3 libsasl2-2 libzstd1 liblz4-1 zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && node -e 'require("@confluentinc/kafka-javascript")'; \
  fi
# No --enable-source-maps by default: parsing the bundle's map costs 30-40 ms of every cold start
# (persist 344 -> 383 ms, items 205 -> 233 ms on the bench machine). The bundle is not minified, so
# stack traces still name functions; the map ships alongside: set NODE_OPTIONS=--enable-source-maps
# on the Service when source positions are needed.
ENV NODE_ENV=production
# The image's non-root user (uid 1000); the Knative Services also set runAsUser: 1000, which lets
# the kubelet verify runAsNonRoot (it cannot for a user given by name).
USER node
EXPOSE 8080
CMD ["node", "index.mjs"]
