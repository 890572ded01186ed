"""Walks a JSON STAC catalog for the engine scripts (readback.py, write_peers.py).

Plain JSON (no STAC library), so what the peers are compared against is the
files themselves: child and item links from the root, every href made absolute
against the file it was read from.
"""

import json
import os
import urllib.parse


def absolute(href, base_file):
    """`href` resolved against the folder of `base_file`; URLs and absolute paths kept."""
    if urllib.parse.urlparse(href).scheme not in ("", "file") or href.startswith("file:") or os.path.isabs(href):
        return href
    return os.path.normpath(os.path.join(os.path.dirname(base_file), urllib.parse.unquote(href)))


def with_absolute_hrefs(value, path):
    """A copy of the STAC object `value` read from `path`, every link and asset href absolute."""
    value = dict(value)
    value["links"] = [dict(link, href=absolute(link["href"], path)) for link in value.get("links", [])]
    if "assets" in value:
        value["assets"] = {
            key: dict(asset, href=absolute(asset["href"], path)) for key, asset in value["assets"].items()
        }
    return value


def walk(catalog_path):
    """(collections by id, items) of the catalog at `catalog_path` (a file or its folder).

    Items carry absolute hrefs and a `self` link to their JSON file (replacing
    any they had), as pystac gives an item read from disk. Sorted by
    (collection, id).
    """
    root = os.path.abspath(catalog_path)
    if os.path.isdir(root):
        root = os.path.join(root, "catalog.json")
    collections = {}
    items = []
    seen = set()
    stack = [root]
    while stack:
        path = stack.pop()
        if path in seen:
            continue
        seen.add(path)
        with open(path, encoding="utf-8") as f:
            node = json.load(f)
        if node.get("type") == "Collection":
            collections[node["id"]] = with_absolute_hrefs(node, path)
        for link in node.get("links", []):
            target = absolute(link["href"], path)
            if link.get("rel") == "child":
                stack.append(target)
            elif link.get("rel") == "item":
                with open(target, encoding="utf-8") as f:
                    item = with_absolute_hrefs(json.load(f), target)
                item["links"] = [link for link in item["links"] if link.get("rel") != "self"]
                item["links"].append({"rel": "self", "href": target, "type": "application/geo+json"})
                items.append(item)
    items.sort(key=lambda item: (item.get("collection") or "", item["id"]))
    return collections, items
