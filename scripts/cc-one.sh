#!/usr/bin/env bash
# Compiles and runs one unit test against just the sources it needs, for
# working on a module while the rest of the tree is in flux:
#   scripts/cc-one.sh tests/unit/test_encoding.c src/format/parquet/encoding.c [more.c ...]
# src/util/*.c is always included.  Builds with ASan+UBSan.
set -euo pipefail
test=$1; shift
out=build/one/$(basename "$test" .c)
mkdir -p build/one
PKGS="libzstd snappy liblz4 zlib libbrotlidec libbrotlienc jansson sqlite3 libpq rdkafka libmicrohttpd"
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wvla -g -O1 \
   -fsanitize=address,undefined -fno-sanitize-recover=all -Iinclude -Isrc -Itests/unit \
   $(pkg-config --cflags $PKGS) -o "$out" "$test" "$@" src/util/*.c $(pkg-config --libs $PKGS) -lm -lpthread
"$out"
