"""Writing UTF-8 text and JSON (indented, numpy scalars and arrays as plain numbers and lists)
whole or not at all (:func:`trialmri.atomic.writing`). Ground floor; no nibabel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from trialmri.atomic import writing


def write_json(path, obj) -> Path:
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) whole or not at all (:func:`trialmri.atomic.writing`)."""
    path = Path(path)
    with writing(path) as hidden:
        hidden.write_text(text, encoding="utf-8")
    return path


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serializable: {type(obj)}")
