#!/usr/bin/env bash
# End-to-end benchmark: generate catalogs of 10k, 100k and 1M items, run
# `stac-ml q2` on each under /usr/bin/time -v, and compare with the
# read+parse floor (examples/floor.rs) on the same files and with EOTDL's flow.
#
# Usage: benches/e2e.sh [PAIRS...]          (default: 5000 50000 500000)
#   EOTDL_PAIRS="500 2000"  peer sizes ("" to skip the peer)
#   WORK=/tmp/stac-ml-e2e   where catalogs are generated (kept between runs)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-5000 50000 500000}")
read -r -a sizes <<< "${sizes[*]}"
work="${WORK:-${TMPDIR:-/tmp}/stac-ml-e2e}"
peer_sizes="${EOTDL_PAIRS-500 2000}"
mkdir -p "$work"
cargo build --release --quiet --bin stac-ml --example floor
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release"

remove() { # a large tree, many folders at a time (rm -rf alone takes minutes at 1M items)
  [ -d "$1" ] || return 0
  # Leaf folders (one per item) first, in parallel, then the rest.
  find "$1" -mindepth 1 -type d -links 2 -print0 | xargs -0 -r -n 256 -P 16 rm -rf
  rm -rf "$1"
}

source benches/measure.sh

printf '%-10s %10s %10s %12s %10s %10s %8s %10s\n' items q2_s rss_mb items_per_s floor_s load_s ratio metrics_s
for pairs in "${sizes[@]}"; do
  items=$((pairs * 2))
  cat="$work/gen-$pairs"
  if [ ! -f "$cat/catalog.json" ]; then
    rm -rf "$cat"
    "$bin/stac-ml" generate -o "$cat" --pairs "$pairs" --classes 8 --dup-rate 0.01 --overlap 0.05 --seed 1 -q > /dev/null
  fi
  sync
  # Warm the page cache once so every measurement reads from memory alike.
  "$bin/examples/floor" "$cat" > /dev/null
  read -r floor_files floor_s < <("$bin/examples/floor" "$cat")
  read -r metrics_s _ < <(measure "$bin/stac-ml" metrics "$cat/catalog.json" --json -q --timings)
  # "timing:     1.23 s  loaded 100000 items (1.23 s)"
  load_s=$(sed -n 's/^timing: *\([0-9.]*\) s  loaded .*/\1/p' "$work/time.log")
  # q2 into a fresh folder: replacing an old output (--force) would add its
  # deletion to the time, and deleting stalls this disk for minutes after
  # (ext4 with discard), so outputs are deleted only at the end.
  sync
  sleep 5
  read -r q2_s rss < <(measure "$bin/stac-ml" q2 "$cat/catalog.json" -o "$work/out-$$/q2-$pairs" -q)
  rate=$(python3 -c "print(round($items / max($q2_s, 0.01)))")
  ratio=$(python3 -c "print(round($load_s / max($floor_s, 0.001), 2))")
  printf '%-10s %10s %10s %12s %10s %10s %8s %10s\n' "$items" "$q2_s" "$rss" "$rate" "$floor_s" "$load_s" "$ratio" "$metrics_s"
done
echo "(floor: read+parse of every .json file, $(nproc) threads; load_s: stac-ml's load (walk, read, parse, records), from metrics --timings; ratio = load_s / floor_s; metrics_s: the whole metrics command: load, R-tree index, every metric incl. reading label GeoJSONs)"

if [ -n "$peer_sizes" ]; then
  venv="${TMPDIR:-/tmp}/eotdl-venv"
  bash ../shared/peers/eotdl/setup.sh "$venv" > /dev/null
  printf '\n%-10s %10s %10s %8s\n' pairs eotdl_s stac_ml_s speedup
  for pairs in $peer_sizes; do
    cat="$work/peer-$pairs"
    if [ ! -f "$cat/cat/catalog.json" ]; then
      rm -rf "$cat"
      "$bin/stac-ml" generate -o "$cat/cat" --pairs "$pairs" --classes 8 --dup-rate 0.01 --overlap 0.05 --seed 1 -q > /dev/null
    fi
    peer_s=$("$venv/bin/python" ../shared/peers/eotdl/run_q2.py "$cat" cat/catalog.json "$work/peer-run-$pairs" 2>&1 >/dev/null | sed -n 's/.*total_s=\([0-9.]*\).*/\1/p')
    # Our run is short enough to be noisy: the median of 5 fresh runs.
    runs=()
    for run in 1 2 3 4 5; do
      sync
      read -r run_s _ < <(measure "$bin/stac-ml" q2 "$cat/cat/catalog.json" -o "$work/out-$$/peer-$pairs-$run" -q)
      runs+=("$run_s")
    done
    ours_s=$(printf '%s\n' "${runs[@]}" | sort -g | sed -n 3p)
    printf '%-10s %10s %10s %8s\n' "$pairs" "$peer_s" "$ours_s" "$(python3 -c "print(round($peer_s / max($ours_s, 0.01), 1))")"
  done
fi

echo "removing this run's outputs ($work/out-$$)" >&2
remove "$work/out-$$"
