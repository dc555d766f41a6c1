#!/usr/bin/env bash
# The main job on embedded defaults: installs what is missing, builds floe,
# and runs `floe demo`: a Kafka broker inside the process (librdkafka's mock
# cluster), a clickstream produced into it, and the real pipeline landing it
# in the Iceberg table demo.clickstream in ./warehouse through the embedded
# SQLite catalog (./warehouse/catalog.db), committing every second; then it
# shows what landed and reads rows back.
#
#   bash scripts/demo.sh [floe demo options]    e.g. --seconds 30 --rate 20000
#
# Run it again and it appends to the same table.  `floe demo --help` lists
# the options.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
make -j2
exec build/release/floe demo "$@"
