#!/usr/bin/env bash
# Installs what building and testing floe needs, and nothing when it is all
# there already: Debian packages (checked one by one with dpkg-query, so
# `apt-get update` runs only when something is missing) and the npm packages
# of the test oracles in tests/oracle (installed when node_modules is absent
# or was installed from a different package-lock.json, which a stamp file
# holding the lock's hash tells).  `npm install` rather than `npm ci`: the
# lock records only the linux-x64 DuckDB bindings (the registry reachable
# here serves no others), which npm ci rejects as out of sync; with every
# version pinned in the lock, npm install installs exactly those and leaves
# the lock as it is.
# Runs as root (CI does; there is no sudo).  Safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

# libFuzzer and the sanitizer runtimes ship in libclang-rt-<major>-dev, the
# major version being the installed clang's.
clang_rt_pkg() {
    local major=14
    if command -v clang >/dev/null 2>&1; then
        major=$(clang --version | sed -n 's/.*clang version \([0-9]\+\).*/\1/p' | head -n1)
        [ -n "$major" ] || major=14
    fi
    echo "libclang-rt-${major}-dev"
}

PKGS=(build-essential clang pkg-config libzstd-dev libsnappy-dev liblz4-dev zlib1g-dev
      libbrotli-dev libjansson-dev libsqlite3-dev libpq-dev postgresql librdkafka-dev kcat
      libcurl4-openssl-dev libmicrohttpd-dev uuid-dev zstd jq python3-avro python3-jsonschema
      python3-yaml time)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_install() {
    echo "deps: installing Debian packages: $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@"
}

missing=()
for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
# Node.js may come from Debian (nodejs + npm) or from a vendor package that
# bundles npm; installing Debian's npm over the latter would conflict, so
# node and npm are judged by their commands.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
# The clang runtime package is named after clang's version, known only now.
rt=$(clang_rt_pkg)
installed "$rt" || apt_install "$rt"

# Test oracles (hyparquet, DuckDB, parquet-wasm, ...): pinned by the lock.
lock=tests/oracle/package-lock.json
stamp=tests/oracle/node_modules/.floe-lock-sha256
want=$(sha256sum "$lock" | cut -d' ' -f1)
have=$(cat "$stamp" 2>/dev/null || true)
if [ ! -d tests/oracle/node_modules ] || [ "$want" != "$have" ]; then
    echo "deps: npm install in tests/oracle"
    (cd tests/oracle && npm install --no-audit --no-fund --loglevel=error)
    if ! git diff --quiet -- "$lock" 2>/dev/null; then
        echo "deps: warning: npm changed $lock" >&2
    fi
    echo "$want" >"$stamp"
fi
