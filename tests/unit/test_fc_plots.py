"""QC figures of the seed-connectivity step: each writes a non-blank PNG of plausible size, also for
the FD plot's edge cases (no threshold, nothing censored, no DVARS)."""

from __future__ import annotations

import matplotlib.image as mpimg
import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from trialmri.fc.qc_plots import parse_centres, plot_framewise_displacement, plot_seed_map, plot_seed_rois
from trialmri.fc.seeds import roi_label_map
from trialmri.templates import mni_grid

ROIS = {"VS": [(-9, 9, -8), (9, 9, -8)], "DC": [(-13, 15, 9), (13, 15, 9)], "V1": [(0, -88, 4)]}


@pytest.fixture(scope="module")
def template():
    from nilearn.datasets import load_mni152_template

    return load_mni152_template(resolution=2)


@pytest.fixture(scope="module")
def grid():
    return mni_grid(4.0)


def _check_png(path, min_size=(500, 250)) -> tuple[int, int]:
    assert path.exists() and path.stat().st_size > 5000
    image = mpimg.imread(path)
    height, width = image.shape[:2]
    assert width >= min_size[0] and height >= min_size[1]
    assert width < 2500 and height < 4000
    assert float(np.var(image[..., :3])) > 1e-4  # not blank
    return width, height


def _fd_table(n=120, censored=(10, 11, 12, 40, 77), dvars=True, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fd = np.abs(rng.normal(0.12, 0.06, n))
    fd[list(censored)] = rng.uniform(0.6, 1.2, len(censored))
    fd[0] = np.nan
    kept = np.ones(n, bool)
    kept[list(censored)] = False
    std_dvars = np.r_[np.nan, rng.normal(1.0, 0.15, n - 1)] if dvars else np.full(n, np.nan)
    return pd.DataFrame({"volume": np.arange(n), "framewise_displacement": fd, "std_dvars": std_dvars,
                         "kept": kept})


def test_parse_centres():
    assert parse_centres("-9,9,-8; 9,9,-8") == [(-9.0, 9.0, -8.0), (9.0, 9.0, -8.0)]
    assert parse_centres("0,-88,4") == [(0.0, -88.0, 4.0)]
    with pytest.raises(ValueError, match="x,y,z"):
        parse_centres("1,2")


def test_plot_seed_rois(tmp_path, template, grid):
    labels, table = roi_label_map(ROIS, 6.0, grid)
    out = plot_seed_rois(labels, grid.affine, table, template, tmp_path / "qc" / "rois.png",
                         title="study 000 seeds")
    width, height = _check_png(out, min_size=(700, 600))
    assert height > width  # one row per ROI


def test_plot_seed_rois_rejects_bad_table(tmp_path, template, grid):
    labels, table = roi_label_map(ROIS, 6.0, grid)
    with pytest.raises(ValueError, match="centres_mm"):
        plot_seed_rois(labels, grid.affine, table.drop(columns="centres_mm"), template, tmp_path / "r.png")


@pytest.mark.parametrize("case", ["default", "no_threshold", "none_censored", "no_dvars"])
def test_plot_framewise_displacement(tmp_path, case):
    table = _fd_table(censored=() if case == "none_censored" else (10, 11, 12, 40, 77),
                      dvars=case != "no_dvars")
    threshold = None if case == "no_threshold" else 0.5
    out = plot_framewise_displacement(table, threshold, 2.0, tmp_path / f"fd_{case}.png",
                                      title="sub-01 ses-1")
    _check_png(out, min_size=(800, 300))


def test_plot_framewise_displacement_all_nan_fd(tmp_path):
    table = _fd_table(n=5, censored=(), dvars=False)
    table["framewise_displacement"] = np.nan
    _check_png(plot_framewise_displacement(table, 0.5, 0.8, tmp_path / "fd.png"), min_size=(800, 300))


def test_plot_framewise_displacement_rejects_missing_column(tmp_path):
    with pytest.raises(ValueError, match="kept"):
        plot_framewise_displacement(_fd_table().drop(columns="kept"), 0.5, 2.0, tmp_path / "fd.png")


def test_plot_seed_map(tmp_path, template, grid):
    rng = np.random.default_rng(3)
    xyz = grid.world(np.float32)
    centre = np.array(ROIS["VS"][0], float)
    d2 = sum((xyz[a] - centre[a]) ** 2 for a in range(3))
    z = 1.2 * np.exp(-d2 / (2 * 15.0**2)) + rng.normal(0, 0.08, grid.shape)
    z -= 0.5 * np.exp(-sum((xyz[a] - [0, -60, 30][a]) ** 2 for a in range(3)) / (2 * 12.0**2))
    z[sum((xyz[a] / r) ** 2 for a, r in enumerate((70, 100, 75))) > 1] = 0  # in-mask values only
    z_img = nib.Nifti1Image(z.astype(np.float32), grid.affine)
    out = plot_seed_map(z_img, template, ROIS["VS"], tmp_path / "seed_VS.png", title="VS", threshold=0.2)
    _check_png(out, min_size=(800, 300))
    out = plot_seed_map(z_img, template, "-9,9,-8; 9,9,-8", tmp_path / "seed_VS_raw.png")
    _check_png(out, min_size=(800, 300))
