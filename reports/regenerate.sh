#!/usr/bin/env bash
# Regenerates every report committed under reports/ from the scenarios, with the release build.
# Usage (from anywhere): bash reports/regenerate.sh
# rcsim exits 1 when a run found a consistency violation (expected: `independent` breaks
# dependent-write order); any other non-zero exit stops the script.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
rcsim=target/release/rcsim

run() {
    local code=0
    "$@" || code=$?
    if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
        echo "regenerate.sh: '$*' exited $code" >&2
        exit "$code"
    fi
}

# The patent's worked example (four pairs, three dependent writes), every protocol.
run "$rcsim" report scenarios/patent-example.json --out reports/patent-example
# The same system at metro (0.5 ms one way) and global (40 ms one way) distance, every protocol.
run "$rcsim" report scenarios/metro.json --rpo-target 50ms --out reports/metro
run "$rcsim" report scenarios/global.json --rpo-target 500ms --out reports/global
# Every network and clock fault kind, then a disaster: each kind shaded in its own colour.
run "$rcsim" report scenarios/network-faults.json --disaster-at 250ms --rpo-target 10ms \
    --out reports/network-faults
# Metro to global in one chart: the link's one-way latency swept, three seeds each.
run "$rcsim" sweep scenarios/metro.json --vary links.latency=500us,5ms,20ms,40ms \
    --set protocol.retransmit_timeout=200ms --seeds 1..4 --out reports/distance
