"""Rewrites stac-ml's stac-geoparquet output as Spark's partitioned Parquet.

Usage: python3 tests/engines/spark_partitions.py IN.parquet OUTDIR [--by split|collection ...]

One Spark session in local mode (`local[1]`) reads IN.parquet and writes it
once per --by (default: both) with `DataFrameWriter.partitionBy`, under
OUTDIR/<by>/, as Spark writes any table: hive `key=value/` folders of
`part-*.parquet` files, `_SUCCESS`, `.crc` checksums, Spark's own schema
(no `geo` or `stac-geoparquet` file metadata, dictionary columns as plain
strings) and Spark's default timestamp type.

- `split`: partitioned by a copy of `ml-dataset:split` named `split` (a
  colon in a folder name is not hive-safe), so the files keep the
  `ml-dataset:split` column: OUTDIR/split/split=Training/part-....parquet.
- `collection`: partitioned by the `collection` column itself, which Spark
  then drops from the files: a reader must take it from the folder names
  (OUTDIR/collection/collection=labels/part-....parquet).

Prints, per folder, the rows per partition Spark wrote, then one JSON line
{"<by>": {"rows": N, "partitions": {value: rows}}}. Exits non-zero if Spark
fails or a folder's rows differ from the input's.
"""

import argparse
import json
import os
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="a stac-geoparquet file (stac-ml q2|split -o X.parquet)")
    parser.add_argument("outdir", help="folder for the partitioned copies (created; must not exist)")
    parser.add_argument("--by", action="append", choices=["split", "collection"], help="partition column")
    args = parser.parse_args()
    by = args.by or ["split", "collection"]
    if os.path.exists(args.outdir):
        sys.exit(f"spark_partitions.py: {args.outdir} already exists")

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("stac-ml-engines")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    summary = {}
    try:
        frame = spark.read.parquet(os.path.abspath(args.input))
        rows = frame.count()
        for column in by:
            out = os.path.abspath(os.path.join(args.outdir, column))
            if column == "split":
                frame.withColumn("split", F.col("`ml-dataset:split`")).write.partitionBy("split").parquet(out)
            else:
                frame.write.partitionBy("collection").parquet(out)
            written = spark.read.parquet(out)
            counts = {str(row[0]): row[1] for row in written.groupBy(column).count().orderBy(column).collect()}
            total = sum(counts.values())
            print(f"spark {spark.version}: {out}: {total} rows: {counts}")
            if total != rows:
                sys.exit(f"spark_partitions.py: {out} has {total} rows, {args.input} {rows}")
            summary[column] = {"rows": total, "partitions": counts}
    finally:
        spark.stop()
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
