# Keycloak in the local stack: the identity provider the functions verify tokens against (issue 25).
# Sourced by scripts/stack.sh, which owns the process helpers (spawn, live_pid, wait_ready, ...).
#
# The distribution (org.keycloak:keycloak-quarkus-dist, a zip on Maven Central) is unpacked into the
# cache and built once there (`kc.sh build`), so that every start is `start --optimized`: no Quarkus
# re-augmentation at each start. Each stack runs it with its own home (kc.home.dir) under $LOCAL, whose
# bin, conf, lib, providers and themes link to the cache, so that its database (H2 file), its imported
# realm and its temporary files stay in that stack's .local.
# Loopback only, plain HTTP, local cache (no cluster discovery), no management port.
KEYCLOAK_VERSION="26.7.3"
KEYCLOAK_DIST="$CACHE/keycloak-$KEYCLOAK_VERSION"
KEYCLOAK_MARKER="$KEYCLOAK_DIST/.built"
KEYCLOAK_PORT="${STACK_KEYCLOAK_PORT:-8180}"
KEYCLOAK_HOME="$LOCAL/keycloak"
KEYCLOAK_REALM_FILE="$ROOT/scripts/keycloak/purchases-realm.json"
# The master realm's administrator, created at the first start; used by the tests that rotate keys
# through the admin REST API. A local development value only.
KEYCLOAK_ADMIN_USER="${STACK_KEYCLOAK_ADMIN:-admin}"
KEYCLOAK_ADMIN_PASSWORD="${STACK_KEYCLOAK_ADMIN_PASSWORD:-admin}"
# The build-time options, fixed in the built distribution. Changing them means a new build: the
# marker holds them, so a different list rebuilds.
KEYCLOAK_BUILD_OPTS=(--db=dev-file --cache=local --health-enabled=false --metrics-enabled=false)
# The JIT's first tier only: a start spends half its CPU compiling with C2 for a peak speed a local
# identity provider serving a few sign-ins never needs. Measured on 2 cores (load average ~20-30):
# 11.4 s and 11.2 s of CPU to ready with it, 19.9 s, 20.6 s and 21.7 s without.
KEYCLOAK_JAVA_OPTS="-XX:TieredStopAtLevel=1"

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

# Prints a JAVA_HOME whose java is 21 or newer: $JAVA_HOME first, then the newest JDK under
# /usr/lib/jvm. Keycloak 26 needs 21+ (Kafka keeps the system's java).
keycloak_java_home() {
  local j v best="" bestv=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    v="$(java_major "$JAVA_HOME/bin/java")"
    if [ "${v:-0}" -ge 21 ] 2>/dev/null; then echo "$JAVA_HOME"; return; fi
  fi
  for j in /usr/lib/jvm/*/; do
    j="${j%/}"
    [ -x "$j/bin/java" ] || continue
    v="$(java_major "$j/bin/java")"
    if [ "${v:-0}" -ge 21 ] 2>/dev/null && [ "$v" -gt "$bestv" ]; then best="$j" bestv="$v"; fi
  done
  [ -n "$best" ] || die "keycloak: needs a JDK 21 or newer; none in JAVA_HOME (${JAVA_HOME:-unset}) or /usr/lib/jvm. Install one (e.g. Eclipse Temurin 21 or 25 from https://adoptium.net, package temurin-25-jdk; on Debian 13: apt-get install openjdk-21-jdk-headless) or set JAVA_HOME to it"
  echo "$best"
}

provision_keycloak() {
  if [ -f "$KEYCLOAK_MARKER" ] && [ "$(cat "$KEYCLOAK_MARKER")" = "${KEYCLOAK_BUILD_OPTS[*]}" ]; then
    log_cached "keycloak $KEYCLOAK_VERSION (built)" "$KEYCLOAK_DIST"
    return
  fi
  need mvn "install Maven (Debian: apt-get install maven)"
  need unzip "install unzip (Debian: apt-get install unzip)"
  local jh t0=$SECONDS tmp
  jh="$(keycloak_java_home)"
  if [ ! -x "$KEYCLOAK_DIST/bin/kc.sh" ]; then
    echo -n "[provision] keycloak $KEYCLOAK_VERSION: resolving the distribution from Maven Central (177 MB)... "
    tmp="$(mktemp -d "$CACHE/.keycloak.XXXXXX")"
    mvn -q -B -Dstyle.color=never dependency:copy \
      -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" -DoutputDirectory="$tmp" \
      >"$CACHE/mvn-keycloak.log" 2>&1 \
      || { echo; tail -n 30 "$CACHE/mvn-keycloak.log" >&2; rm -rf "$tmp"; die "maven could not resolve Keycloak (log: $CACHE/mvn-keycloak.log)"; }
    echo "done in $((SECONDS - t0))s"
    echo -n "[provision] keycloak $KEYCLOAK_VERSION: unpacking... "
    unzip -q "$tmp/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip" -d "$tmp" || { rm -rf "$tmp"; die "keycloak: unzip failed"; }
    rm -rf "$KEYCLOAK_DIST"
    mv "$tmp/keycloak-$KEYCLOAK_VERSION" "$KEYCLOAK_DIST"
    rm -rf "$tmp"
    echo "done"
  fi
  t0=$SECONDS
  echo -n "[provision] keycloak $KEYCLOAK_VERSION: building the optimized server (kc.sh build, java $(java_major "$jh/bin/java"))... "
  JAVA_HOME="$jh" JAVA_OPTS_APPEND="$KEYCLOAK_JAVA_OPTS" "$KEYCLOAK_DIST/bin/kc.sh" build "${KEYCLOAK_BUILD_OPTS[@]}" >"$CACHE/keycloak-build.log" 2>&1 \
    || { echo; tail -n 30 "$CACHE/keycloak-build.log" >&2; die "keycloak: kc.sh build failed (log: $CACHE/keycloak-build.log)"; }
  echo "${KEYCLOAK_BUILD_OPTS[*]}" >"$KEYCLOAK_MARKER"
  echo "done in $((SECONDS - t0))s"
}

keycloak_url() { echo "http://127.0.0.1:$KEYCLOAK_PORT"; }
keycloak_ready() { curl -fsS -o /dev/null --max-time 2 "$(keycloak_url)/realms/purchases/.well-known/openid-configuration"; }

# The realm is imported when Keycloak's database has none; an existing realm is kept (sessions, keys
# survive a restart). When the realm file in the repository changes, the old database is dropped so
# that the new file is what runs: this is a development identity provider, the file is its truth.
keycloak_prepare_home() {
  local sum
  sum="$(sha1sum "$KEYCLOAK_REALM_FILE" | cut -c1-40)"
  if [ -d "$KEYCLOAK_HOME/data" ] && [ "$(cat "$KEYCLOAK_HOME/realm.sha1" 2>/dev/null)" != "$sum" ]; then
    echo "keycloak: $KEYCLOAK_REALM_FILE changed, re-creating the local Keycloak database from it"
    rm -rf "$KEYCLOAK_HOME/data"
  fi
  mkdir -p "$KEYCLOAK_HOME/data/import" "$LOGS"
  # The built server is read from the cache (Keycloak looks for its build under kc.home.dir/lib).
  local d
  for d in bin conf lib providers themes; do ln -sfn "$KEYCLOAK_DIST/$d" "$KEYCLOAK_HOME/$d"; done
  cp "$KEYCLOAK_REALM_FILE" "$KEYCLOAK_HOME/data/import/purchases-realm.json"
  echo "$sum" >"$KEYCLOAK_HOME/realm.sha1"
}

start_keycloak() {
  local pid jh t0
  note_stale keycloak
  if pid="$(live_pid keycloak)"; then
    echo "keycloak: already running on $(keycloak_url) (pid $pid), reusing it"
    keycloak_print_users
    return
  fi
  provision keycloak
  jh="$(keycloak_java_home)"
  check_port_free "$KEYCLOAK_PORT" STACK_KEYCLOAK_PORT
  keycloak_prepare_home
  t0=$SECONDS
  # -Dkc.home.dir after kc.sh's own: the last definition wins, so the data lives in this stack.
  # The hostname is fixed so that `iss` is the same however the issuer is reached (localhost,
  # 127.0.0.1): the functions compare it exactly.
  JAVA_HOME="$jh" JAVA_OPTS_APPEND="$KEYCLOAK_JAVA_OPTS ${JAVA_OPTS_APPEND:-}" KC_BOOTSTRAP_ADMIN_USERNAME="$KEYCLOAK_ADMIN_USER" KC_BOOTSTRAP_ADMIN_PASSWORD="$KEYCLOAK_ADMIN_PASSWORD" \
    spawn keycloak "$LOGS/keycloak.log" "$KEYCLOAK_DIST/bin/kc.sh" start --optimized \
    "-Dkc.home.dir=$KEYCLOAK_HOME" --http-enabled=true --http-host=127.0.0.1 --http-port="$KEYCLOAK_PORT" \
    --hostname="$(keycloak_url)" --hostname-strict=false --cache=local --import-realm --log-console-color=false
  wait_ready keycloak 180 keycloak_ready
  echo "keycloak: running on $(keycloak_url) (pid $(live_pid keycloak)), realm purchases, ready in $((SECONDS - t0))s"
  keycloak_print_users
}

keycloak_print_users() {
  echo "keycloak: test shoppers (realm purchases): alice / alice-password, bob / bob-password;" \
    "a token for curl: npm run -s token -- alice; admin console $(keycloak_url)/admin (admin / admin)"
}

keycloak_status() {
  local pid
  if pid="$(live_pid keycloak)"; then echo "keycloak: running on $(keycloak_url) (pid $pid)"
  else echo "keycloak: stopped"; fi
}
