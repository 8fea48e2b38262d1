#!/bin/sh
# copy-with-libs.sh DEST [--skip ROOT] FILE...
# Copies each FILE and every shared library it loads (ldd: the whole closure, the dynamic loader
# included) into DEST at the same path, dereferencing symlinks: what a distroless image needs to run
# a binary. A library already present under ROOT (--skip, another layer of the image) or under the
# FILE's own folder tree (the Kafka addon's librdkafka, shipped in the bundle) is not copied again.
# ldd fails loudly on a library it cannot find ("not found"): then the build stops here.
set -eu
dest="$1"; shift
skip=""
if [ "${1:-}" = --skip ]; then skip="$2"; shift 2; fi
mkdir -p "$dest"
for file in "$@"; do
  out="$(ldd "$file" 2>&1)" || { echo "copy-with-libs: ldd $file: $out" >&2; exit 1; }
  if echo "$out" | grep -q "not found"; then echo "copy-with-libs: $file: $out" >&2; exit 1; fi
  # "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
  for lib in $(echo "$out" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    case "$lib" in "$(dirname "$file")"/* | /src/*) continue ;; esac
    [ -n "$skip" ] && [ -e "$skip$lib" ] && continue
    [ -e "$dest$lib" ] || cp -L --parents "$lib" "$dest"
  done
done
