"""A filename index of a BIDS tree: entities parsed from names, queried like pybids' ``get``.

One ``os.scandir`` pass over ``sub-*/[ses-*/]<datatype>/`` (and nothing else: no derivatives,
sourcedata or code folders, no sidecar inheritance, no metadata). That is all discovery needs, and
it scales: 1,000 subjects index in well under a second where pybids' SQL index took minutes,
which every Snakemake job pays again when it parses the workflow.
"""

from __future__ import annotations

import os
import re

from collections import defaultdict
from pathlib import Path

# BIDS keys (short form) -> the names pybids and our code use for them.
ENTITY_NAMES = {"sub": "subject", "ses": "session", "task": "task", "acq": "acquisition", "dir": "direction",
                "run": "run", "space": "space", "res": "res", "desc": "desc"}
NAME = re.compile(r"^(?P<entities>(?:[a-zA-Z]+-[a-zA-Z0-9]+_)*)(?P<suffix>[a-zA-Z0-9]+)(?P<extension>\.[^/]+)$")
SUBJECT_DIR = re.compile(r"^sub-([a-zA-Z0-9]+)$")
ANY_SUBJECT_DIR = re.compile(r"^sub-(.*)$")
SESSION_DIR = re.compile(r"^ses-([a-zA-Z0-9]+)$")


def parse_name(name: str) -> dict | None:
    """Entities, ``suffix`` and ``extension`` of a BIDS file name; None if it is not one."""
    m = NAME.match(name)
    if m is None:
        return None
    entities = {}
    for pair in m["entities"].rstrip("_").split("_") if m["entities"] else []:
        key, value = pair.split("-", 1)
        entities[ENTITY_NAMES.get(key, key)] = value
    entities["suffix"] = m["suffix"]
    entities["extension"] = m["extension"]
    return entities


def _files(folder: Path):
    with os.scandir(folder) as it:
        for entry in it:
            if entry.is_dir(follow_symlinks=True):
                yield from _files(Path(entry.path))
            elif entry.is_file(follow_symlinks=True):
                yield entry.path, entry.name


class FileIndex:
    """Files under ``root/sub-*`` by subject, each with its parsed entities."""

    def __init__(self, root):
        self.root = Path(root)
        self._by_subject: dict[str, list[tuple[str, dict]]] = defaultdict(list)
        with os.scandir(self.root) as it:
            folders = sorted((e.name, e.path) for e in it if ANY_SUBJECT_DIR.match(e.name) and e.is_dir())
        subject_dirs = [path for name, path in folders if SUBJECT_DIR.match(name)]
        #: ``sub-*`` folders whose label is not letters and digits only (BIDS): not indexed
        self.invalid_subject_dirs = [name for name, _ in folders if not SUBJECT_DIR.match(name)]
        for folder in subject_dirs:
            label = SUBJECT_DIR.match(Path(folder).name)[1]
            self._by_subject[label]  # a subject folder with no files is still a subject
            for path, name in _files(Path(folder)):
                entities = parse_name(name)
                if entities is not None and entities.get("subject") == label:
                    self._by_subject[label].append((path, entities))

    def get_subjects(self) -> list[str]:
        return sorted(self._by_subject)

    def get(self, subject: str, extension: str | list[str] | None = None, **entities) -> list[str]:
        """Sorted paths of ``subject``'s files whose entities equal ``entities`` (a list: any of)."""
        if extension is not None:
            entities["extension"] = extension
        wanted = {k: set(v) if isinstance(v, (list, tuple)) else {v} for k, v in entities.items()}
        return sorted(path for path, have in self._by_subject.get(subject, ())
                      if all(have.get(k) in values for k, values in wanted.items()))
