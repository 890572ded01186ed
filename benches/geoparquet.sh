#!/usr/bin/env bash
# Beyond one machine: q2 from stac-geoparquet to stac-geoparquet at 1M and
# 10M items, beside the JSON-tree q2 at 1M and, as the floor, pyarrow reading
# and rewriting the same file (zstd, as stac-ml writes). One run, release
# build, each measured by /usr/bin/time -v.
#
# Usage: benches/geoparquet.sh [PAIRS...]   (default: 500000 5000000, i.e. 1M and 10M items)
#   JSON_PAIRS=500000   the JSON-tree q2 beside it ("" to skip; takes minutes)
#   WORK=/tmp/stac-ml-geoparquet   where inputs are generated (kept between runs)
#   STAC_ML=path/to/stac-ml        a binary already built (default: cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-500000 5000000}")
read -r -a sizes <<< "${sizes[*]}"
work="${WORK:-${TMPDIR:-/tmp}/stac-ml-geoparquet}"
json_pairs="${JSON_PAIRS-500000}"
mkdir -p "$work"
if [ -z "${STAC_ML:-}" ]; then
  cargo build --release --quiet --bin stac-ml
  STAC_ML="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/stac-ml"
fi
python3 -c 'import pyarrow' 2>/dev/null || { echo "needs pyarrow: python3 -m pip install pyarrow" >&2; exit 1; }
out="$work/out-$$"
mkdir -p "$out"

source benches/measure.sh

floor() { python3 benches/parquet_floor.py "$@"; }

printf '%-10s %-22s %10s %10s %12s\n' items run wall_s rss_mb items_per_s
per_item=()
row() { printf '%-10s %-22s %10s %10s %12s\n' "$1" "$2" "$3" "$4" "$(python3 -c "print(round($1 / max($3, 0.01)))")"; }
for pairs in "${sizes[@]}"; do
  items=$((pairs * 2))
  input="$work/gen-$pairs.parquet"
  if [ ! -f "$input" ]; then
    read -r gen_s gen_rss < <(measure "$STAC_ML" generate -o "$input" --pairs "$pairs" --classes 8 --dup-rate 0.01 --overlap 0.05 --seed 1 -q)
    row "$items" "generate (geoparquet)" "$gen_s" "$gen_rss"
  fi
  sync
  floor "$input" "$out/warm-$pairs.parquet" # warms the page cache for both
  read -r floor_s floor_rss < <(measure python3 benches/parquet_floor.py "$input" "$out/floor-$pairs.parquet")
  row "$items" "pyarrow read+write" "$floor_s" "$floor_rss"
  read -r q2_s q2_rss < <(measure "$STAC_ML" q2 "$input" -o "$out/q2-$pairs.parquet" -q)
  row "$items" "q2 geoparquet" "$q2_s" "$q2_rss"
  echo "           q2 / floor = $(python3 -c "print(round($q2_s / max($floor_s, 0.01), 2))")"
  per_item+=("$items $q2_s $q2_rss")
done
# Growth: time and memory per item at each size against the first (the
# issue's bound: within 20 % of linear from 1M to 10M).
if [ "${#per_item[@]}" -gt 1 ]; then
  read -r base_items base_s base_rss <<< "${per_item[0]}"
  for entry in "${per_item[@]:1}"; do
    read -r items s rss <<< "$entry"
    python3 -c "
t = ($s / $items) / ($base_s / $base_items)
m = ($rss / $items) / ($base_rss / $base_items)
print(f'growth $base_items -> $items items: time per item x{t:.2f}, memory per item x{m:.2f} (linear is x1.00)')"
  done
fi
if [ -n "$json_pairs" ]; then
  items=$((json_pairs * 2))
  tree="$work/tree-$json_pairs"
  if [ ! -f "$tree/catalog.json" ]; then
    rm -rf "$tree"
    "$STAC_ML" generate -o "$tree" --pairs "$json_pairs" --classes 8 --dup-rate 0.01 --overlap 0.05 --seed 1 -q > /dev/null
  fi
  sync
  read -r tree_s tree_rss < <(measure "$STAC_ML" q2 "$tree/catalog.json" -o "$out/q2-tree-$json_pairs" -q)
  row "$items" "q2 JSON tree" "$tree_s" "$tree_rss"
  read -r conv_s conv_rss < <(measure "$STAC_ML" q2 "$tree/catalog.json" -o "$out/q2-tree-$json_pairs.parquet" -q)
  row "$items" "q2 JSON tree->parquet" "$conv_s" "$conv_rss"
fi
echo "(the same synthetic dataset: generate --classes 8 --dup-rate 0.01 --overlap 0.05 --seed 1; $(nproc) threads)"
echo "removing this run's outputs ($out)" >&2
find "$out" -mindepth 1 -maxdepth 1 -type d -print0 | xargs -0 -r -n 1 -P 4 rm -rf
rm -rf "$out"
