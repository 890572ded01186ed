"""Writes the items of a JSON STAC catalog as stac-geoparquet with two peers.

Usage: python3 tests/engines/write_peers.py CATALOG_JSON OUTDIR

Writes OUTDIR/stac_geoparquet.parquet with the stac-geoparquet library
(stac_geoparquet.arrow.parse_stac_items_to_arrow, then its to_parquet) and
OUTDIR/rustac.parquet with rustac (rustac.geoparquet_writer), so stac-ml can be given the same items as
written by others (tests/it/engines.rs then compares `stac-ml metrics`).

The catalog is walked as plain JSON (stac_json.py: child and item links from
the root), so nothing but the two writers shapes the rows. A Parquet row has no file to
resolve relative hrefs against, so every href (asset and link) is made absolute
against the JSON file it was read from, and each item gets a `self` link to
its JSON file, as pystac gives an item read from disk: a label item's `source`
link then names the `self` href of its source item's row. Everything else
(properties, geometry, bbox, extensions, assets' other fields) is written as
read. Each file's `stac-geoparquet` metadata carries the catalog's collections
(`{"collections": {id: collection}}`), hrefs made absolute the same way.

Prints one line per file written; exits non-zero with a message on failure.
"""

import argparse
import asyncio
import inspect
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from stac_json import walk  # noqa: E402


def fail(message):
    print(f"write_peers.py: {message}", file=sys.stderr)
    sys.exit(1)


def write_stac_geoparquet(items, collections, out):
    import stac_geoparquet
    from stac_geoparquet.arrow import parse_stac_items_to_arrow, to_parquet

    reader = parse_stac_items_to_arrow(items)
    to_parquet(reader, out, collections=collections)
    return f"stac-geoparquet {stac_geoparquet.__version__}"


def write_rustac(items, collections, out):
    import rustac

    async def write():
        async with rustac.geoparquet_writer(items, out) as writer:
            for collection in collections.values():
                # rustac 0.9 returns an awaitable here (its stub says None);
                # not awaiting it closes the writer first.
                added = writer.add_collection(collection)
                if inspect.isawaitable(added):
                    await added

    asyncio.run(write())
    return f"rustac {rustac.version()}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("catalog", help="the root catalog.json of a JSON STAC catalog")
    parser.add_argument("outdir", help="folder for stac_geoparquet.parquet and rustac.parquet (created)")
    args = parser.parse_args()

    collections, items = walk(args.catalog)
    if not items:
        fail(f"{args.catalog}: no items found")
    outdir = os.path.abspath(args.outdir)
    os.makedirs(outdir, exist_ok=True)
    # rustac first: after stac-geoparquet had written, rustac 0.9.18's writer
    # aborted the interpreter at exit in most runs ("Fatal Python error:
    # PyGILState_Release: thread state ... must be current when releasing");
    # in this order 10 runs of 10 exited 0 (the other order: 2 of 8).
    for name, write in [("rustac.parquet", write_rustac), ("stac_geoparquet.parquet", write_stac_geoparquet)]:
        # Absolute: rustac 0.9 resolves a relative path against `/`, not the
        # working folder.
        out = os.path.join(outdir, name)
        try:
            version = write(items, collections, out)
        except Exception as e:  # noqa: BLE001 - reported with the writer's name
            fail(f"{name}: {type(e).__name__}: {e}")
        print(f"{version}: wrote {len(items)} items, {len(collections)} collections to {out}")


if __name__ == "__main__":
    main()
