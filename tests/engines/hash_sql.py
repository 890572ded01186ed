#!/usr/bin/env python3
"""Runs the README's hash-split SQL in DuckDB and Spark SQL on a split stac-geoparquet file.

    python3 tests/engines/hash_sql.py PARQUET [--engines duckdb,spark]

PARQUET is a stac-geoparquet file (one row per item; `id`, `collection`, `links` as a list of
structs {rel, href, ...}) written from a catalog that `stac-ml split --strategy hash` split with
the defaults (seed 0, ratios 80/10/10, label items in the collection `labels`), so each row
carries its split in the column `ml-dataset:split`. The SQL is taken from README.md, the fenced
```sql blocks after the lines `<!-- sql:duckdb -->` and `<!-- sql:spark -->`, so what is tested
is what users read; the placeholder `items.parquet` becomes PARQUET.

For each engine the script compares every row the SQL returns (label items, and source items
following their label through `source` links) with the file's `ml-dataset:split`, and checks
that every row of the file with a split got one from the SQL. It prints the counts per split per
engine and exits 1 on any difference, naming the first rows that differ (2 on bad usage, 3 when
an engine is missing: `python3 -m pip install duckdb pyspark pyarrow`; Spark needs Java 17).

Until stac-ml writes stac-geoparquet, a file can be made from a split JSON tree OUT with
pyarrow: one row per `OUT/*/*/*.json` item, with `id`, `collection`, `bbox` as a struct
{xmin, ymin, xmax, ymax}, `links` as a list of structs {rel, href, type}, and the item's
properties (`ml-dataset:split`, `label:type`, ...) as columns.
"""

import argparse
import collections
import pathlib
import re
import sys

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"
PLACEHOLDER = "items.parquet"
ENGINES = ("duckdb", "spark")
SHOWN = 5


def sql_block(readme: str, engine: str) -> str:
    """The ```sql block right after the line `<!-- sql:ENGINE -->`."""
    pattern = re.compile(r"^<!-- sql:" + re.escape(engine) + r" -->\n+```sql\n(.*?)^```$", re.M | re.S)
    found = pattern.findall(readme)
    if len(found) != 1:
        sys.exit(f"error: {README}: expected one ```sql block after <!-- sql:{engine} -->, found {len(found)}")
    if PLACEHOLDER not in found[0]:
        sys.exit(f"error: {README}: the {engine} SQL does not read {PLACEHOLDER!r}")
    return found[0]


def run_duckdb(sql: str) -> list:
    import duckdb

    return duckdb.connect().sql(sql).fetchall()


def run_spark(sql: str) -> list:
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("stac-ml hash split check")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        return [tuple(row) for row in spark.sql(sql).collect()]
    finally:
        spark.stop()


def expected_splits(parquet: pathlib.Path) -> dict:
    """(collection, id) -> `ml-dataset:split` of every row of the file."""
    import pyarrow.parquet as pq

    table = pq.read_table(parquet, columns=["collection", "id", "ml-dataset:split"])
    columns = table.to_pydict()
    return {
        (collection, id_): split
        for collection, id_, split in zip(columns["collection"], columns["id"], columns["ml-dataset:split"])
    }


def compare(engine: str, rows: list, expected: dict) -> list:
    """Differences between the engine's rows and the file, as lines; prints the counts."""
    problems = []
    computed = {}
    for collection, id_, split in rows:
        key = (collection, id_)
        if key in computed and computed[key] != split:
            problems.append(f"{collection}/{id_}: the SQL gives both {computed[key]} and {split}")
        computed[key] = split
        if key not in expected:
            problems.append(f"{collection}/{id_}: computed {split}, but the file has no such row")
        elif expected[key] != split:
            problems.append(f"{collection}/{id_}: the file says {expected[key]}, {engine} computes {split}")
    for key, split in expected.items():
        if split is not None and key not in computed:
            problems.append(f"{key[0]}/{key[1]}: the file says {split}, {engine} computes no split")
    labels = collections.Counter(split for (collection, _), split in computed.items() if collection == "labels")
    sources = sum(1 for (collection, _) in computed if collection != "labels")
    counts = ", ".join(f"{name} {labels[name]}" for name in sorted(labels))
    print(f"{engine}: {len(computed)} rows; label items: {counts}; source items following their labels: {sources}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parquet", type=pathlib.Path)
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated: duckdb, spark")
    args = parser.parse_args()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown or not engines:
        parser.error(f"--engines: unknown {','.join(unknown) or '(none given)'}; choose from {','.join(ENGINES)}")
    if not args.parquet.is_file():
        parser.error(f"{args.parquet}: no such file")
    path = str(args.parquet.resolve())
    if any(c in path for c in "'`\\"):
        parser.error(f"{path}: quotes, backticks and backslashes in the path are not supported")

    readme = README.read_text(encoding="utf-8")
    expected = expected_splits(args.parquet)
    failed = False
    for engine in engines:
        sql = sql_block(readme, engine).replace(PLACEHOLDER, path)
        runner = run_duckdb if engine == "duckdb" else run_spark
        try:
            rows = runner(sql)
        except ImportError as error:
            print(f"error: {engine} is not installed ({error}); python3 -m pip install duckdb pyspark pyarrow")
            return 3
        problems = compare(engine, rows, expected)
        if problems:
            failed = True
            print(f"{engine}: {len(problems)} differences; the first:")
            for line in problems[:SHOWN]:
                print(f"  {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
