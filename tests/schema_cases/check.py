#!/usr/bin/env python3
"""Differential check of stac-ml's bundled schemas against the official ones,
with python `jsonschema` (Draft 7, formats not asserted: how stac-validator
runs them). Independent of the Rust `jsonschema` crate the tool uses.

Three sources of objects, each validated against a schema URL by both
registries (official: ../shared/reference/stac-schemas; ours: schemas/index.json):

1. the case files in this folder (`<name>.json`: {"schema": URL, "cases":
   [{"name", "valid", "object"}]}): both verdicts must equal `valid`;
2. every STAC object under ../shared/testdata and ../shared/realworld, for each
   bundled extension URL it lists: the verdicts must agree;
3. seeded mutations of the valid cases (keys removed, values replaced by other
   types, numbers pushed out of range, strings swapped for other enum-ish
   values): the verdicts must agree.

Usage: tests/schema_cases/check.py [--only SUBSTRING] [--mutations N]
Prints one line per disagreement and a summary; exits 1 on any disagreement.
"""

import argparse
import copy
import json
import pathlib
import random
import sys

import jsonschema
import referencing
import referencing.jsonschema

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
ML_DATASET = "https://raw.githubusercontent.com/earthpulse/ml-dataset/main/json-schema/schema.json"


def registry(pairs):
    resources = [
        (url, referencing.Resource.from_contents(value, default_specification=referencing.jsonschema.DRAFT7))
        for url, value in pairs
    ]
    return referencing.Registry().with_resources(resources)


def official_pairs():
    tree = SHARED / "reference" / "stac-schemas"
    pairs = {}
    for path in sorted(tree.rglob("*.json")):
        value = json.loads(path.read_text())
        pairs["https://" + path.relative_to(tree).as_posix()] = value
        if isinstance(value, dict) and isinstance(value.get("$id"), str):
            pairs[value["$id"].rstrip("#")] = value
    pairs[ML_DATASET] = json.loads((SHARED / "reference" / "ml-dataset-schema.json").read_text())
    return pairs


def our_pairs():
    """Every file of schemas/index.json under its URL, and any schema file not
    listed there yet under its `$id` (a schema being written)."""
    index = json.loads((ROOT / "schemas" / "index.json").read_text())
    pairs = {row["url"]: json.loads((ROOT / "schemas" / row["path"]).read_text()) for row in index}
    for path in sorted((ROOT / "schemas").rglob("*.json")):
        if path.name == "index.json":
            continue
        value = json.loads(path.read_text())
        if isinstance(value, dict) and isinstance(value.get("$id"), str):
            pairs.setdefault(value["$id"].rstrip("#"), value)
    return pairs


class Judge:
    def __init__(self, pairs):
        self.pairs = pairs
        self.registry = registry(pairs.items())
        self.validators = {}

    def valid(self, url, instance):
        if url not in self.validators:
            self.validators[url] = jsonschema.Draft7Validator(self.pairs[url], registry=self.registry)
        return self.validators[url].is_valid(instance)


def mutations(value, rng, count):
    """Up to `count` mutated copies of `value`, each with one change."""
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, child in node.items():
                paths.append(path + [key])
                walk(child, path + [key])
        elif isinstance(node, list):
            for i, child in enumerate(node):
                paths.append(path + [i])
                walk(child, path + [i])

    walk(value, [])
    replacements = [None, True, "x", "", -1, 0, 1.5, 1e9, -1e9, [], {}, ["x"], [1], {"x": 1}]
    out = []
    for _ in range(count):
        if not paths:
            break
        path = rng.choice(paths)
        mutated = copy.deepcopy(value)
        parent = mutated
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        roll = rng.random()
        if roll < 0.3 and isinstance(parent, dict):
            del parent[last]
        elif roll < 0.4 and isinstance(parent, list):
            parent.pop(last)
        elif roll < 0.5 and isinstance(parent, dict):
            parent[str(last) + "_x"] = parent[last]
            if rng.random() < 0.5:
                del parent[last]
        else:
            parent[last] = copy.deepcopy(rng.choice(replacements))
        out.append((path, mutated))
    return out


def stac_objects():
    for folder in ("testdata", "realworld"):
        base = SHARED / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix not in (".json", ".geojson") or not path.is_file():
                continue
            try:
                value = json.loads(path.read_text())
            except Exception:
                continue
            if isinstance(value, dict) and isinstance(value.get("stac_extensions"), list):
                yield path.relative_to(SHARED), value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="only schema URLs containing this")
    parser.add_argument("--mutations", type=int, default=40, help="mutations per valid case")
    args = parser.parse_args()

    official = Judge(official_pairs())
    ours = Judge(our_pairs())
    extensions = sorted(
        url
        for url in ours.pairs
        if ("stac-extensions.github.io" in url or "crim-ca.github.io" in url) and args.only in url
    )
    disagreements = []
    checks = 0

    for case_file in sorted(pathlib.Path(__file__).parent.glob("*.json")):
        spec = json.loads(case_file.read_text())
        url = spec["schema"]
        if args.only not in url:
            continue
        rng = random.Random(case_file.name)
        for case in spec["cases"]:
            checks += 1
            theirs, mine = official.valid(url, case["object"]), ours.valid(url, case["object"])
            if theirs != case["valid"] or mine != case["valid"]:
                disagreements.append(
                    f"{case_file.name} [{case['name']}]: expected {case['valid']}, official {theirs}, ours {mine}"
                )
            if case["valid"]:
                for path, mutated in mutations(case["object"], rng, args.mutations):
                    checks += 1
                    theirs, mine = official.valid(url, mutated), ours.valid(url, mutated)
                    if theirs != mine:
                        disagreements.append(
                            f"{case_file.name} [{case['name']}] mutated at {path}: official {theirs}, ours {mine}"
                        )

    for relative, value in stac_objects():
        for url in value["stac_extensions"]:
            if url in extensions:
                checks += 1
                theirs, mine = official.valid(url, value), ours.valid(url, value)
                if theirs != mine:
                    disagreements.append(f"{relative} [{url}]: official {theirs}, ours {mine}")

    for line in disagreements:
        print(line)
    print(f"{checks} checks over {len(extensions)} bundled extension schemas, {len(disagreements)} disagreements")
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
