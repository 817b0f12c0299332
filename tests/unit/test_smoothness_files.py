"""The native smoothness and cluster-size steps from files (trialmri.clusters.smoothness_files):
an estimated ACF feeds the tables; a model not fitted gives files that say why at both steps."""

import json

import nibabel as nib
import numpy as np

from trialmri.clusters.smoothness_files import seed_clustsim, seed_smoothness

AFFINE = np.diag([4.0, 4.0, 4.0, 1.0])


def residuals(tmp_path, fitted=True):
    rng = np.random.default_rng(2)
    nib.save(nib.Nifti1Image(rng.normal(size=(10, 10, 10, 6)).astype(np.float32), AFFINE), tmp_path / "resid.nii.gz")
    nib.save(nib.Nifti1Image(np.full((10, 10, 10), int(fitted), np.uint8), AFFINE), tmp_path / "fit.nii.gz")
    return tmp_path / "resid.nii.gz", tmp_path / "fit.nii.gz"


def test_an_estimated_acf_feeds_the_cluster_size_tables(tmp_path):
    resid, mask = residuals(tmp_path)
    line = seed_smoothness(resid, mask, tmp_path / "acf.json", tmp_path / "acf.txt", "VS")
    assert line.startswith("seed VS: ACF [") and len((tmp_path / "acf.txt").read_text().split()) == 3
    line = seed_clustsim(mask, tmp_path / "acf.json", [0.01], [0.1], 100, 1, str(tmp_path / "cs"),
                         tmp_path / "cs.json", 1, "exact", "VS")
    assert line.startswith("seed VS: 100 fields over 1000 voxels; NN1 2-sided: ")
    assert (tmp_path / "cs.NN1_2sided.1D").exists()


def test_a_model_not_fitted_says_why_at_both_steps(tmp_path):
    resid, mask = residuals(tmp_path, fitted=False)
    line = seed_smoothness(resid, mask, tmp_path / "acf.json", tmp_path / "acf.txt", "VS")
    assert line.startswith("seed VS: smoothness not estimated: ") and "no voxel" in line
    assert (tmp_path / "acf.txt").read_text() == "n/a\n"
    assert json.loads((tmp_path / "acf.json").read_text())["fitted"] is False
    line = seed_clustsim(mask, tmp_path / "acf.json", [0.01], [0.1], 100, 1, str(tmp_path / "cs"),
                         tmp_path / "cs.json", 1, "exact", "VS")
    assert line.startswith("seed VS: no table: ") and "not run" in (tmp_path / "cs.NN2_bisided.1D").read_text()


def test_plot_seed_clusters_says_why_without_clusters(tmp_path):
    from trialmri.clusters.cluster_files import apply_threshold, write_not_estimated
    from trialmri.clusters.figure_files import plot_seed_clusters

    nib.save(nib.Nifti1Image(np.zeros((6, 6, 6, 2), np.float32), AFFINE), tmp_path / "stats.nii.gz")
    nib.save(nib.Nifti1Image(np.zeros((6, 6, 6), np.uint8), AFFINE), tmp_path / "fit.nii.gz")
    reason = "too few subjects (2) for the model"
    (tmp_path / "stats.json").write_text(json.dumps({"fitted": False, "reason": reason, "volumes": []}))
    write_not_estimated(tmp_path / "cs.json", "no smoothness: mask empty", tables_prefix=tmp_path / "cs")
    apply_threshold(tmp_path / "stats.nii.gz", tmp_path / "stats.json", tmp_path / "fit.nii.gz", tmp_path / "cs.json",
                    "group:treatment", 0.005, 0.05, 1, "auto", tmp_path / "dseg.nii.gz", tmp_path / "t.tsv",
                    tmp_path / "t.json")
    plot_seed_clusters(tmp_path / "dseg.nii.gz", tmp_path / "t.tsv", tmp_path / "t.json", tmp_path / "stats.nii.gz",
                       tmp_path / "stats.json", None, "group:treatment", tmp_path / "c.png", "VS")
    assert (tmp_path / "c.png").stat().st_size > 5_000
