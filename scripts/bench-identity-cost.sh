#!/usr/bin/env bash
# What identity protection costs at ingest (issue 3's performance goal: under 5%
# of throughput). Builds lapord twice from this tree: once as shipped, once with
# the benchmark-only feature `bench-unprotected-identity`, which stores reporter
# identities in plaintext and indexes them by their plain values (everything
# else identical: schema, SQLite settings, routing, lifecycle). Then runs the
# ingest benchmark against both, each run on a fresh store: first in
# alternating runs, then with both daemons at once (half the connections each,
# so both see the same disk latency, which on shared machines changes from
# second to second). Prints per-round and median ratios of throughput, CPU time
# per report and bytes written per report.
#
#     bash scripts/bench-identity-cost.sh                  # 8 rounds of 10 s each
#     ROUNDS=12 SECONDS_PER_RUN=15 bash scripts/bench-identity-cost.sh
#
# Run by hand, not in CI (about 6 minutes plus the two builds).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-8}"
seconds="${SECONDS_PER_RUN:-10}"
target="${CARGO_TARGET_DIR:-target}"
cargo bench --no-run --bench ingest --features bench-unprotected-identity
cp "$target/release/lapord" "$target/lapord-unprotected"
cargo bench --no-run --bench ingest
cargo bench --bench ingest -- --compare "$target/lapord-unprotected" \
    --rounds "$rounds" --seconds "$seconds"
cargo bench --bench ingest -- --compare "$target/lapord-unprotected" \
    --rounds "$rounds" --seconds "$seconds" --together
