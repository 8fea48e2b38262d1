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

# ---------------------------------------------------------------- node-files
# What any Node program needs to run, and nothing else (distroless style): the node binary, the
# shared libraries it loads (ldd: libc, libstdc++, libgcc_s, libm, libatomic, the loader), the CA
# bundle, and passwd/group entries for uid 1000 (os.userInfo(), and a name in `ps`). No shell, no
# package manager, no npm, no headers. Independent of FUNCTION: one cached layer, identical in every
# image and in the floor image, so a node that pulled one function already has it for the others.
FROM ${NODE_IMAGE} AS node-files
COPY scripts/images/copy-with-libs.sh /usr/local/bin/copy-with-libs
# The official slim image trusts Node's built-in roots and has no CA bundle; the local base has one.
RUN if [ ! -f /etc/ssl/certs/ca-certificates.crt ]; then \
    apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*; \
  fi \
  && mkdir -p /rootfs/etc/ssl/certs /rootfs/usr/local/bin \
  && cp /usr/local/bin/node /rootfs/usr/local/bin/node \
  && copy-with-libs /rootfs /usr/local/bin/node \
  && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
  && printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000:node:/app:/sbin/nologin\n' >/rootfs/etc/passwd \
  && printf 'root:x:0:\nnode:x:1000:\n' >/rootfs/etc/group \
  && printf 'passwd: files\ngroup: files\nhosts: files dns\n' >/rootfs/etc/nsswitch.conf

# ---------------------------------------------------------------- runtime-base (the floor image)
# Node and its libraries alone. `npm run images` also tags this stage as purchases/node-floor: the
# bench's floor (a bare node:http server) runs on exactly the base every function runs on.
FROM scratch AS runtime-base
COPY --from=node-files /rootfs /
ENV NODE_ENV=production
# Numeric, like the Services' runAsUser: 1000, so the kubelet can verify runAsNonRoot.
USER 1000:1000

# ---------------------------------------------------------------- addon-files
# Only the functions that ship the Kafka client get more: the system libraries its addon loads
# (ldd: libssl/libcrypto, libsasl2, libzstd, liblz4, libz...; librdkafka itself is in the bundle).
# The builder has them, from the -dev packages it built against: the same Debian runtime libraries.
FROM build AS addon-files
COPY scripts/images/copy-with-libs.sh /usr/local/bin/copy-with-libs
COPY --from=node-files /rootfs /node-rootfs
ARG FUNCTION
# Debug sections out of the native code the bundle ships (librdkafka 13 -> 3 MB, librdkafka++ 2.4 ->
# 0.2 MB, the addon): bytes every new node pulls, which no running pod reads; symbols stay, so a
# native stack still names its functions. The image takes /app from here, not from the builder.
RUN mkdir -p /addon-rootfs \
  && find "dist/$FUNCTION" -name '*.node' -type f \
    -exec copy-with-libs /addon-rootfs --skip /node-rootfs {} + \
  && find "dist/$FUNCTION" -type f \( -name '*.node' -o -name '*.so' -o -name '*.so.*' \) \
    -exec strip --strip-debug {} +

# ---------------------------------------------------------------- report (floor, SBOM)
# Not part of the image: `npm run images` exports this stage (--target report --output) next to it:
# floor.json (the bytes of the files the function needs: node, the libraries, the CA bundle, the
# bundle) and sbom.cdx.json (CycloneDX: every npm and Debian package in the image, with versions).
FROM addon-files AS report-files
COPY scripts/images/report.mjs /usr/local/lib/report.mjs
ARG FUNCTION
RUN node /usr/local/lib/report.mjs --image "purchases/$FUNCTION" --app "/src/dist/$FUNCTION" \
    --rootfs /node-rootfs --rootfs /addon-rootfs --out /report
FROM scratch AS report
COPY --from=report-files /report /

# ---------------------------------------------------------------- image
FROM runtime-base AS image
ARG FUNCTION
LABEL org.opencontainers.image.title="purchases/${FUNCTION}" \
  org.opencontainers.image.description="Knative function ${FUNCTION} of the purchase system"
COPY --from=addon-files /addon-rootfs /
COPY --from=addon-files /src/dist/${FUNCTION} /app
WORKDIR /app
# No --enable-source-maps by default: parsing the bundle's map costs 30-40 ms of every cold start
# (persist 344 -> 383 ms, items 205 -> 233 ms on the bench machine). The bundle is not minified, so
# stack traces still name functions; the map ships alongside: set NODE_OPTIONS=--enable-source-maps
# on the Service when source positions are needed.
EXPOSE 8080
CMD ["node", "index.mjs"]

# ---------------------------------------------------------------- check
# The build fails here, not at the first pod start, if the Kafka addon does not load in the image's
# very filesystem, as uid 1000 (exec form: there is no shell). A stage of its own: a RUN in the
# image would leave the mount points of podman's build volumes (the CA bundle) behind in it.
FROM image AS check
RUN ["node", "-e", "const fs = require('node:fs'); const p = '/app/node_modules/@confluentinc/kafka-javascript'; if (fs.existsSync(p)) console.log('librdkafka', require(p).librdkafkaVersion)"]

# ---------------------------------------------------------------- runtime
FROM image
# Copying any file from the check stage makes the image depend on it, so a plain `docker build`
# runs the check too; /etc/group is the same 29 bytes as the image's own.
COPY --from=check /etc/group /etc/group
