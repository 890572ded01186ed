"""Opens a Q2 catalog written by stac-ml with pystac and checks it.

Usage: python3 tests/compat/pystac_read.py OUT/catalog.json [EXPECTED_ITEMS]

Walks every item, asserts the item count (200 by default: EuroSAT-small-STAC),
that every label item carries an ml-dataset:split listed in the root's
ml-dataset:splits, and that each collection's ml-dataset:split-items agrees
with its items. Prints a one-line summary; exits non-zero on failure.
"""

import collections
import sys

import pystac


def all_items(catalog):
    # pystac >= 1.8 has get_items(recursive=True); older versions get_all_items().
    try:
        return list(catalog.get_items(recursive=True))
    except TypeError:
        return list(catalog.get_all_items())


def is_label(item):
    return any("/label/" in ext for ext in item.stac_extensions) or any(
        key.startswith("label:") for key in item.properties
    )


def main():
    path = sys.argv[1]
    expected = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    catalog = pystac.Catalog.from_file(path)
    splits = catalog.extra_fields["ml-dataset:splits"]
    assert isinstance(splits, list) and splits, f"ml-dataset:splits: {splits!r}"

    items = all_items(catalog)
    assert len(items) == expected, f"{len(items)} items, expected {expected}"

    counts = collections.Counter()
    labels = 0
    for item in items:
        assert item.get_root() is not None and item.get_parent() is not None, item.id
        if is_label(item):
            labels += 1
            split = item.properties.get("ml-dataset:split")
            assert split in splits, f"{item.id}: ml-dataset:split {split!r} not in {splits}"
            counts[split] += 1

    assert labels > 0, "no label items"
    for child in catalog.get_all_collections():
        listed = child.extra_fields.get("ml-dataset:split-items")
        if listed is None:
            continue
        for entry in listed:
            for item_id in entry["items"]:
                item = child.get_item(item_id)
                assert item is not None, f"{child.id}: split-items names unknown item {item_id}"
                assert item.properties.get("ml-dataset:split") == entry["name"], item_id

    summary = ", ".join(f"{name} {counts[name]}" for name in splits)
    print(f"pystac {pystac.__version__}: {len(items)} items, {labels} label items: {summary}")


if __name__ == "__main__":
    main()
