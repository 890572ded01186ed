"""Reads stac-ml's stac-geoparquet output with four peers and checks it.

Usage: python3 tests/engines/readback.py OUT ORIGINAL_CATALOG_JSON

OUT is the file `stac-ml q2|split ... -o OUT.parquet` wrote, or the folder
`--partition-by split` wrote (every `*.parquet` under it; hive `split=NAME`
folders are checked against the rows' `ml-dataset:split`). ORIGINAL is the
JSON catalog stac-ml read (walked as plain JSON by stac_json.py).

(a) stac-geoparquet (`stac_geoparquet.arrow.stac_table_to_items` on each file
    read with pyarrow): the file metadata has `geo` and `stac-geoparquet`
    (version 1.0.0, `collections` holding every row's collection); the rows
    are exactly the original items, keyed by (collection, id), and for each:
    - geometry: same type and the same coordinates, exactly;
    - bbox: the same numbers, exactly;
    - properties (a null read back is an absent property: a Parquet column
      is typed for every row): every original property equal (datetime, start_datetime,
      end_datetime, created, updated as instants), except `ml-dataset:split`
      and `ml-aoi:split`, which stac-ml assigns; an extra property is a
      difference unless it is `ml-dataset:*` or `ml-aoi:*`;
      `ml-dataset:split` is a non-empty string on every row;
    - stac_extensions: the original's are all there (stac-ml may add some);
    - assets: the same keys; each asset's fields equal, its href naming the
      same file (a relative href resolved against the Parquet file's folder,
      the original's against its JSON file's);
    - links: the same number of `source` links; other links are not compared
      (structural links have no meaning in a flat file);
    - stac_version is not compared.
(b) rustac (`rustac.read_sync` of each file): the same (collection, id) rows
    and the same `ml-dataset:split` per row as (a).
(c) geopandas (`geopandas.read_parquet`): a `geometry` column of shapely
    geometries in OGC:CRS84 / EPSG:4326, each equal to the original's shape,
    and the same `ml-dataset:split` per row.
(d) DuckDB (`read_parquet`): counts per collection and `ml-dataset:split`.

Prints one line per peer, then, last, one JSON line:
{"rows": N, "splits": {split: rows}, "collections": {collection: {split: rows}}}
(DuckDB's counts). Exits 1 naming every difference found.
"""

import argparse
import datetime
import glob
import json
import math
import os
import sys
from collections import Counter

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from stac_json import absolute, walk  # noqa: E402

DATETIME_PROPERTIES = {"datetime", "start_datetime", "end_datetime", "created", "updated"}
ASSIGNED = {"ml-dataset:split", "ml-aoi:split"}
MAX_REPORTED = 20

problems = []


def problem(message):
    problems.append(message)


def parquet_files(out):
    if os.path.isfile(out):
        return [os.path.abspath(out)]
    files = sorted(
        os.path.abspath(path)
        for path in glob.glob(os.path.join(out, "**", "*.parquet"), recursive=True)
        if not any(part.startswith((".", "_")) for part in os.path.relpath(path, out).split(os.sep))
    )
    if not files:
        sys.exit(f"readback.py: no .parquet file under {out}")
    return files


def hive_keys(path, out):
    """The `key=value` folders between `out` and `path`."""
    if not os.path.isdir(out):
        return {}
    parts = os.path.relpath(os.path.dirname(path), out).split(os.sep)
    return dict(part.split("=", 1) for part in parts if "=" in part)


def instant(value):
    if not isinstance(value, str):
        return value
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value


def same_numbers(a, b):
    """Nested lists/tuples of numbers, equal exactly."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_numbers(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b) or (math.isnan(a) and math.isnan(b))
    return a == b


def plain(value):
    """Tuples as lists, recursively, so JSON values compare equal."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def key_of(item):
    return (item.get("collection") or "", item["id"])


def compare_item(key, original, read, parquet_file):
    where = f"{key[0]}/{key[1]}"
    geometry, expected = read.get("geometry") or {}, original.get("geometry") or {}
    if geometry.get("type") != expected.get("type") or not same_numbers(
        geometry.get("coordinates"), expected.get("coordinates")
    ):
        problem(f"{where}: geometry {json.dumps(geometry)[:200]} != {json.dumps(expected)[:200]}")
    if "bbox" in original and not same_numbers(list(read.get("bbox") or []), original["bbox"]):
        problem(f"{where}: bbox {read.get('bbox')} != {original['bbox']}")

    # A column is typed for every row: a property (or asset) an item lacks
    # reads back as null, so null counts as absent on both sides.
    properties = {k: v for k, v in (read.get("properties") or {}).items() if v is not None}
    expected = {k: v for k, v in (original.get("properties") or {}).items() if v is not None}
    for name, value in expected.items():
        if name in ASSIGNED:
            continue
        if name not in properties:
            problem(f"{where}: property {name} missing")
            continue
        got = properties[name]
        if name in DATETIME_PROPERTIES:
            same = instant(got) == instant(value)
        else:
            same = plain(got) == plain(value) or same_numbers(got, value)
        if not same:
            problem(f"{where}: property {name}: {got!r} != {value!r}")
    for name in properties.keys() - expected.keys():
        if not name.startswith(("ml-dataset:", "ml-aoi:")):
            problem(f"{where}: extra property {name}={properties[name]!r}")
    split = properties.get("ml-dataset:split")
    if not isinstance(split, str) or not split:
        problem(f"{where}: ml-dataset:split is {split!r}")

    missing = set(original.get("stac_extensions", [])) - set(read.get("stac_extensions") or [])
    if missing:
        problem(f"{where}: stac_extensions lost {sorted(missing)}")

    assets = {k: v for k, v in (read.get("assets") or {}).items() if v is not None}
    expected = original.get("assets") or {}
    if assets.keys() != expected.keys():
        problem(f"{where}: assets {sorted(assets)} != {sorted(expected)}")
    for name in assets.keys() & expected.keys():
        got, want = dict(assets[name]), dict(expected[name])
        got_href = absolute(got.pop("href", ""), parquet_file)
        want_href = want.pop("href", "")
        if got_href != want_href:
            problem(f"{where}: asset {name} href {got_href} != {want_href}")
        if plain({k: v for k, v in got.items() if v is not None}) != plain(want):
            problem(f"{where}: asset {name} {got} != {want}")

    def sources(item):
        return sum(1 for link in item.get("links") or [] if link.get("rel") == "source")

    if sources(read) != sources(original):
        problem(f"{where}: {sources(read)} source links, the original has {sources(original)}")


def check_stac_geoparquet(files, out, originals):
    import pyarrow.parquet as pq
    import stac_geoparquet
    from stac_geoparquet.arrow import stac_table_to_items

    splits = {}
    for path in files:
        metadata = pq.ParquetFile(path).metadata.metadata or {}
        if b"geo" not in metadata:
            problem(f"{path}: no `geo` key in the Parquet file metadata")
        if b"stac-geoparquet" not in metadata:
            problem(f"{path}: no `stac-geoparquet` key in the Parquet file metadata")
            collections = {}
        else:
            stac_meta = json.loads(metadata[b"stac-geoparquet"])
            if stac_meta.get("version") != "1.0.0":
                problem(f"{path}: stac-geoparquet version {stac_meta.get('version')!r}, expected 1.0.0")
            collections = stac_meta.get("collections") or {}
        partition = hive_keys(path, out)
        for item in stac_table_to_items(pq.read_table(path)):
            key = key_of(item)
            if key in splits:
                problem(f"{key[0]}/{key[1]}: more than one row")
                continue
            splits[key] = item.get("properties", {}).get("ml-dataset:split")
            if key[0] and key[0] not in collections:
                problem(f"{path}: row {key[1]}'s collection {key[0]!r} not in the stac-geoparquet metadata")
            if "split" in partition and partition["split"] != splits[key]:
                problem(f"{path}: row {key[1]} has ml-dataset:split {splits[key]!r} under split={partition['split']}")
            if key not in originals:
                problem(f"{key[0]}/{key[1]}: not an item of the original catalog")
                continue
            compare_item(key, originals[key], item, path)
    for key in originals.keys() - splits.keys():
        problem(f"{key[0]}/{key[1]}: original item missing from the Parquet output")
    print(f"stac-geoparquet {stac_geoparquet.__version__}: {len(splits)} items, {len(files)} file(s)")
    return splits


def check_rustac(files, splits):
    import rustac

    seen = {}
    for path in files:
        value = rustac.read_sync(path)
        features = value.get("features") if isinstance(value, dict) else None
        if features is None:
            problem(f"rustac: {path} read as {type(value).__name__} {str(value)[:200]}, not an item collection")
            continue
        for item in features:
            seen[key_of(item)] = item.get("properties", {}).get("ml-dataset:split")
    if len(seen) != len(splits) or seen != splits:
        differ = sorted(k for k in seen.keys() | splits.keys() if seen.get(k) != splits.get(k))
        problem(f"rustac: {len(seen)} items, stac-geoparquet {len(splits)}; differ: {differ[:5]}")
    print(f"rustac {rustac.version()}: {len(seen)} items")


def check_geopandas(files, originals, splits):
    import geopandas
    import shapely.geometry

    rows = 0
    crs_names = set()
    for path in files:
        frame = geopandas.read_parquet(path)
        rows += len(frame)
        if frame.geometry.name != "geometry":
            problem(f"geopandas: {path}: active geometry column {frame.geometry.name!r}")
        crs = frame.crs
        if crs is None or not (crs.equals("OGC:CRS84") or crs.to_epsg() == 4326):
            problem(f"geopandas: {path}: CRS {crs!r}, expected OGC:CRS84 or EPSG:4326")
        else:
            crs_names.add(crs.name)
        if "ml-dataset:split" not in frame.columns:
            problem(f"geopandas: {path}: no ml-dataset:split column")
            continue
        collection = frame["collection"] if "collection" in frame.columns else [""] * len(frame)
        for coll, item_id, geometry, split in zip(collection, frame["id"], frame.geometry, frame["ml-dataset:split"]):
            key = (coll or "", item_id)
            original = originals.get(key)
            if original is None:
                continue  # reported by (a)
            expected = shapely.geometry.shape(original["geometry"]) if original.get("geometry") else None
            if (geometry is None) != (expected is None) or (
                expected is not None and not geometry.equals_exact(expected, tolerance=0)
            ):
                problem(f"geopandas: {key[0]}/{key[1]}: geometry {geometry} != {expected}")
            if split != splits.get(key):
                problem(f"geopandas: {key[0]}/{key[1]}: ml-dataset:split {split!r} != {splits.get(key)!r}")
    if rows != len(splits):
        problem(f"geopandas: {rows} rows, stac-geoparquet {len(splits)} items")
    print(f"geopandas {geopandas.__version__}: {rows} rows, CRS {sorted(crs_names)}")


def count_duckdb(files):
    import duckdb

    connection = duckdb.connect()
    rows = connection.execute(
        'SELECT coalesce("collection", \'\'), "ml-dataset:split", count(*) '
        "FROM read_parquet(?, union_by_name = true) GROUP BY ALL ORDER BY ALL",
        [files],
    ).fetchall()
    collections = {}
    splits = Counter()
    for collection, split, count in rows:
        collections.setdefault(collection, {})[split] = count
        splits[split] += count
    total = sum(splits.values())
    print(f"duckdb {duckdb.__version__}: {total} rows: " + ", ".join(f"{k} {v}" for k, v in splits.items()))
    return {"rows": total, "splits": dict(splits), "collections": collections}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="stac-ml's .parquet output, or its --partition-by folder")
    parser.add_argument("original", help="the JSON catalog stac-ml read")
    args = parser.parse_args()

    _, items = walk(args.original)
    originals = {key_of(item): item for item in items}
    files = parquet_files(args.out)
    splits = check_stac_geoparquet(files, args.out, originals)
    check_rustac(files, splits)
    check_geopandas(files, originals, splits)
    counts = count_duckdb(files)
    if counts["rows"] != len(splits):
        problem(f"duckdb: {counts['rows']} rows, stac-geoparquet {len(splits)} items")
    if problems:
        for message in problems[:MAX_REPORTED]:
            print(f"difference: {message}", file=sys.stderr)
        if len(problems) > MAX_REPORTED:
            print(f"... and {len(problems) - MAX_REPORTED} more", file=sys.stderr)
        sys.exit(f"readback.py: {len(problems)} difference(s) between {args.out} and {args.original}")
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    main()
