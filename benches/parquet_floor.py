"""The floor for benches/geoparquet.sh: pyarrow reads every row group of a
Parquet file and writes them back (zstd, as stac-ml writes), nothing else."""

import sys

import pyarrow.parquet as pq

source = pq.ParquetFile(sys.argv[1])
writer = None
for i in range(source.num_row_groups):
    table = source.read_row_group(i)
    if writer is None:
        writer = pq.ParquetWriter(sys.argv[2], table.schema, compression="zstd")
    writer.write_table(table)
writer.close()
