"""QC figures of the DWI corrections: each writes a PNG of plausible size; the outlier table lists
rows or says there are none."""

from __future__ import annotations

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from trialmri.dwi.correction_plots import field_figure, motion_figure, outlier_table_html

SHAPE = (20, 24, 16)


def _png_size(path) -> tuple[int, int]:
    assert path.exists() and path.stat().st_size > 5000
    height, width = mpimg.imread(path).shape[:2]
    return width, height


def _b0_pair(rng):
    """An ellipsoid 'head' over slices 3..12, plus noise, for AP and PA."""
    i, j, k = np.meshgrid(*(np.arange(n) for n in SHAPE), indexing="ij")
    head = (((i - 10) / 8) ** 2 + ((j - 12) / 10) ** 2 + ((k - 7.5) / 5) ** 2) < 1
    return {name: 500 * head + rng.normal(0, 10, SHAPE) for name in ("AP", "PA")}


@pytest.mark.parametrize("pe_axis", [0, 1])
def test_field_figure(tmp_path, pe_axis):
    rng = np.random.default_rng(0)
    before = _b0_pair(rng)
    before["PA"] = np.roll(before["PA"], 2, axis=pe_axis)
    after = _b0_pair(rng)
    field = rng.normal(0, 30, SHAPE)
    out = field_figure(field, before, after, pe_axis, tmp_path / "qc" / "field.png", title="sub-01 ses-1")
    width, height = _png_size(out)
    assert 600 < width < 2000 and 800 < height < 2500


def test_field_figure_rejects_through_plane_pe(tmp_path):
    rng = np.random.default_rng(1)
    pair = _b0_pair(rng)
    with pytest.raises(ValueError, match="pe_axis"):
        field_figure(rng.normal(size=SHAPE), pair, pair, 2, tmp_path / "field.png")


def _params(series, n_vol=12, outliers=(5,), rng=None):
    rng = rng or np.random.default_rng(2)
    rows = []
    for s in series:
        for v in range(n_vol):
            rows.append({"series": s, "volume": v, "bval": 0 if v % 6 == 0 else 1000,
                         **{f"trans_{a}": rng.normal(0, 0.3) for a in "xyz"},
                         **{f"rot_{a}": rng.normal(0, 0.2) for a in "xyz"},
                         "eddy_offset_hz": rng.normal(0, 5),
                         **{f"eddy_{a}_hz_per_mm": rng.normal(0, 0.1) for a in "xyz"},
                         "outlier": v in outliers})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("series", [("AP",), ("AP", "PA")])
def test_motion_figure(tmp_path, series):
    out = motion_figure(_params(series), tmp_path / "motion.png", title="sub-01 ses-1")
    width, height = _png_size(out)
    assert 800 < width < 1500 and 600 < height < 1200


def test_motion_figure_needs_columns(tmp_path):
    with pytest.raises(ValueError, match="rot_z"):
        motion_figure(_params(("AP",)).drop(columns="rot_z"), tmp_path / "motion.png")


def test_outlier_table_lists_rows():
    table = pd.DataFrame({"series": ["PA", "AP", "AP"], "volume": [3, 7, 7], "slice": [10, 4, 5],
                          "z": [-4.6, -5.25, -8.0]})
    text = outlier_table_html(table)
    assert text.count("<tr>") == 4  # header + 3 rows
    assert text.index("<td class=l>AP</td><td>7</td><td>4</td>") < text.index("<td class=l>PA</td>")
    assert "3 outlier slices in 2 volumes" in text and "z &lt; −4" in text


def test_outlier_table_empty():
    empty = pd.DataFrame(columns=["series", "volume", "slice", "z"])
    assert outlier_table_html(empty) == "<p>No outlier slices (threshold z &lt; −4).</p>\n"
    assert "z &lt; −3.5" in outlier_table_html(empty, threshold=-3.5)
