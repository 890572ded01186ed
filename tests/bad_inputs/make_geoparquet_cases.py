#!/usr/bin/env python3
"""Makes the `geoparquet-*` cases of the bad-input corpus (see README.md).

The control case, `geoparquet-control-valid/items.parquet`, is `control-valid`
written as stac-geoparquet by stac-ml (`stac-ml split control-valid/catalog.json
-o items.parquet`); give a stac-ml binary with `--stac-ml` to (re)write it.
Every other case is derived from it with pyarrow, so each breaks exactly one
thing:

    python3 -m pip install pyarrow
    python3 tests/bad_inputs/make_geoparquet_cases.py --stac-ml target/debug/stac-ml

Without `--stac-ml` the committed control file is used as it is.
"""

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
CONTROL = HERE / "geoparquet-control-valid" / "items.parquet"


def case(name: str) -> Path:
    """An empty case folder."""
    folder = HERE / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    return folder


def write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def replaced(table: pa.Table, name: str, column: pa.Array) -> pa.Table:
    """`table` with column `name` replaced, its file metadata kept."""
    index = table.schema.get_field_index(name)
    field = pa.field(name, column.type, nullable=True)
    return table.set_column(index, field, column).replace_schema_metadata(table.schema.metadata)


def dropped(table: pa.Table, name: str) -> pa.Table:
    return table.drop_columns([name]).replace_schema_metadata(table.schema.metadata)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stac-ml", help="a stac-ml binary, to (re)write the control file")
    args = parser.parse_args()
    if args.stac_ml:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "items.parquet"
            catalog = HERE / "control-valid" / "catalog.json"
            subprocess.run([args.stac_ml, "split", str(catalog), "-o", str(out)], check=True)
            case("geoparquet-control-valid")
            shutil.copyfile(out, CONTROL)
    control = pq.read_table(CONTROL)
    data = CONTROL.read_bytes()
    assert control.num_rows >= 2, "the control file has a row per item of control-valid"

    # Not Parquet at all: text under a .parquet name.
    (case("geoparquet-not-parquet") / "items.parquet").write_text("id,geometry\na,POINT (5 40)\n")
    # A valid file cut in half: the footer (Parquet's metadata) is gone.
    (case("geoparquet-truncated") / "items.parquet").write_bytes(data[: len(data) // 2])
    # 0 bytes.
    (case("geoparquet-empty-file") / "items.parquet").write_bytes(b"")
    # The two columns every row needs, missing.
    write(dropped(control, "id"), case("geoparquet-missing-id") / "items.parquet")
    write(dropped(control, "geometry"), case("geoparquet-missing-geometry") / "items.parquet")
    # Wrong types: ids as int64, geometries as WKT strings instead of WKB.
    ids = pa.array(range(control.num_rows), pa.int64())
    write(replaced(control, "id", ids), case("geoparquet-id-int64") / "items.parquet")
    wkt = pa.array(["POLYGON ((5 40, 5.01 40, 5.01 40.01, 5 40.01, 5 40))"] * control.num_rows, pa.string())
    write(replaced(control, "geometry", wkt), case("geoparquet-geometry-string") / "items.parquet")
    # Hive partitions whose files have different columns: the second lacks
    # `label:description`.
    folder = case("geoparquet-mixed-schemas")
    write(control.slice(0, 1), folder / "part=a" / "x.parquet")
    write(dropped(control.slice(1), "label:description"), folder / "part=b" / "y.parquet")


if __name__ == "__main__":
    main()
