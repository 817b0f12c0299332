"""Cluster-level FWE (trialmri.clusters): smoothness against known Gaussian smoothing, the Monte
Carlo table against an independent brute-force simulation (scipy.ndimage), clustering against
scipy.ndimage.label, and the cluster table against planted clusters with known atlas regions."""

from __future__ import annotations

import json
import math

import nibabel as nib
import numpy as np
import pytest
from helpers import ellipsoid, smoothed_noise
from scipy import ndimage

from trialmri.cli import main
from trialmri.clusters.acf import SIGMA_TO_FWHM, acf_fwhm, acf_model, estimate_smoothness
from trialmri.clusters.cluster_table import cluster_table, find_clusters
from trialmri.clusters.clustsim import SIDES, simulate, size_threshold, threshold_table
from trialmri.clusters.neighbours import Neighbours, largest_per_field
from trialmri.clusters.noise import FieldGenerator

STRUCTURE = {nn: ndimage.generate_binary_structure(3, nn) for nn in (1, 2, 3)}


@pytest.mark.parametrize("fwhm_mm", [6.0, 8.0, 10.0])
def test_fwhmx_recovers_known_gaussian_smoothing(fwhm_mm):
    rng = np.random.default_rng(int(fwhm_mm))
    shape = (40, 46, 40)
    sigma_vox = fwhm_mm / 2.0 / SIGMA_TO_FWHM
    vols = np.moveaxis(smoothed_noise(rng, shape, sigma_vox, 8), 0, -1)
    mask = ellipsoid(shape)
    est = estimate_smoothness(vols, mask, (2.0, 2.0, 2.0))
    # classic per-axis FWHM estimates the kernel's FWHM
    assert np.allclose(est.fwhm_xyz_mm, fwhm_mm, rtol=0.10), est.fwhm_xyz_mm
    # a Gaussian kernel of FWHM F gives a Gaussian ACF of FWHM sqrt(2) F; the fit is (almost) all Gaussian
    assert est.acf_fwhm_mm / math.sqrt(2) == pytest.approx(fwhm_mm, rel=0.10)
    assert est.acf[0] > 0.9
    assert est.acf[1] == pytest.approx(math.sqrt(2) * sigma_vox * 2.0, rel=0.10)  # b = sqrt(2) sigma
    again = estimate_smoothness(vols, mask, (2.0, 2.0, 2.0))
    assert again.acf == est.acf and again.fwhm_xyz_mm == est.fwhm_xyz_mm  # deterministic


def test_fwhmx_recovers_a_mixed_acf_from_generated_fields():
    acf = (0.6, 4.0, 9.0)
    mask = ellipsoid((36, 40, 36))
    gen = FieldGenerator(mask, (2.0, 2.0, 2.0), acf)
    vals = gen.values(np.random.default_rng(5), 24)
    vols = np.zeros((*gen.mask.shape, 24), np.float32)
    vols[gen.mask] = vals.T
    est = estimate_smoothness(vols, gen.mask, (2.0, 2.0, 2.0))
    r = np.array([2.0, 4.0, 8.0, 16.0])
    assert np.allclose(acf_model(r, *est.acf), acf_model(r, *acf), atol=0.05), (est.acf, acf)
    assert est.acf_fwhm_mm == pytest.approx(acf_fwhm(*acf), rel=0.10)


def test_noise_fields_have_unit_variance_and_the_model_correlation():
    acf = (0.5, 3.0, 6.0)
    mask = np.ones((30, 30, 30), bool)
    gen = FieldGenerator(mask, (2.0, 2.0, 2.0), acf)
    vals = gen.values(np.random.default_rng(1), 64).reshape(64, 30, 30, 30)
    assert vals.var() == pytest.approx(1.0, abs=0.05)
    for lag in (1, 2, 4):
        corr = (vals[:, :-lag] * vals[:, lag:]).mean() / vals.var()
        assert corr == pytest.approx(float(acf_model(2.0 * lag, *acf)), abs=0.03)


def test_neighbour_clusters_equal_scipy_label():
    rng = np.random.default_rng(2)
    shape = (22, 25, 21)
    mask = rng.random(shape) > 0.15
    fields = smoothed_noise(rng, shape, 1.0, 4)
    vals = fields[:, mask]
    supra = np.abs(vals) > 0.8
    nb = Neighbours(mask)
    for sign in (None, vals > 0):
        found = nb.labels_all(supra, sign)
        for nn in (1, 2, 3):
            field, voxel, label, n_labels = found[nn]
            for f in range(4):
                ours = np.zeros(shape, np.int64)
                ours[tuple(np.argwhere(mask)[voxel[field == f]].T)] = label[field == f] + 1
                ref = np.zeros(shape, np.int64)
                for part in ([supra[f]] if sign is None else [supra[f] & sign[f], supra[f] & ~sign[f]]):
                    vol = np.zeros(shape, bool)
                    vol[mask] = part
                    lab, k = ndimage.label(vol, STRUCTURE[nn])
                    ref[lab > 0] = lab[lab > 0] + ref.max()
                # same partition: a one-to-one map between our labels and scipy's
                pairs = set(zip(ours[ref > 0], ref[ref > 0]))
                assert (ours > 0).sum() == (ref > 0).sum()
                assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})
            best = largest_per_field(field, label, n_labels, 4)
            assert best.shape == (4,) and best.min() > 0


def test_size_threshold_definition():
    # 100 fields: largest clusters 0..99 once each -> a(s) = (100 - s)/100
    sizes = np.arange(100)
    c = size_threshold(sizes, 0.05)
    assert math.ceil(c) == 95  # a(95) = 0.05 <= alpha < a(94) = 0.06
    assert 94 < c <= 95
    assert math.ceil(size_threshold(np.zeros(50, int), 0.05)) == 1  # no cluster ever: any cluster survives


def test_cluster_sizes_grow_with_smoothness_and_shrink_with_looser_alpha():
    mask = ellipsoid((24, 26, 22))
    tables = [threshold_table(simulate(mask, (2.0, 2.0, 2.0), (1.0, b, 1.0), [0.01, 0.001], 400, seed=3),
                              [0.1, 0.05, 0.01]) for b in (2.0, 3.5)]
    for nn in ("NN1", "NN2", "NN3"):
        for side in SIDES:
            for p in ("0.01", "0.001"):
                smooth, smoother = tables[0][nn][side][p], tables[1][nn][side][p]
                assert smoother["0.05"] > smooth["0.05"]
                assert smooth["0.1"] <= smooth["0.05"] <= smooth["0.01"]
            assert tables[0][nn][side]["0.001"]["0.05"] <= tables[0][nn][side]["0.01"]["0.05"]
        assert tables[0]["NN1"][side]["0.01"]["0.05"] <= tables[0]["NN3"][side]["0.01"]["0.05"]


def test_clustsim_program_is_deterministic_and_thread_independent(tmp_path):
    mask = ellipsoid((20, 22, 20))
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), np.diag([2.0, 2.0, 2.0, 1.0])), tmp_path / "mask.nii.gz")
    outs = []
    for run, threads in (("a", 1), ("b", 1), ("c", 2)):
        assert main(["clustsim", "--mask", str(tmp_path / "mask.nii.gz"), "--acf", "0.6", "4", "8",
                     "--pthr", "0.005", "0.001", "--athr", "0.1", "0.05", "--iter", "200", "--seed", "9",
                     "--threads", str(threads), "--out-prefix", str(tmp_path / run)]) == 0
        outs.append(json.loads((tmp_path / f"{run}.json").read_text()))
    assert outs[0] == outs[1] == outs[2]
    assert set(outs[0]) >= {"NN1", "NN2", "NN3"}
    assert set(outs[0]["NN2"]) == set(SIDES)
    assert set(outs[0]["NN2"]["bisided"]) == {"0.005", "0.001"}
    assert set(outs[0]["NN2"]["bisided"]["0.005"]) == {"0.1", "0.05"}
    text = (tmp_path / "a.NN2_bisided.1D").read_text()
    assert "#  pthr  | .10000 .05000" in text and f"{outs[0]['NN2']['bisided']['0.005']['0.05']:.1f}" in text


def test_fwhmx_program_writes_the_contract(tmp_path):
    rng = np.random.default_rng(4)
    vols = np.moveaxis(smoothed_noise(rng, (24, 26, 24), 1.3, 5), 0, -1).astype(np.float32)
    nib.save(nib.Nifti1Image(vols, np.diag([2.0, 2.0, 2.0, 1.0])), tmp_path / "resid.nii.gz")
    nib.save(nib.Nifti1Image(ellipsoid((24, 26, 24)).astype(np.uint8), np.diag([2.0, 2.0, 2.0, 1.0])),
             tmp_path / "mask.nii.gz")
    assert main(["fwhmx", "--input", str(tmp_path / "resid.nii.gz"), "--mask", str(tmp_path / "mask.nii.gz"),
                 "--detrend", "--out-prefix", str(tmp_path / "sm")]) == 0
    out = json.loads((tmp_path / "sm.json").read_text())
    assert len(out["acf"]) == 3 and len(out["fwhm_xyz_mm"]) == 3 and out["acf_fwhm_mm"] > 0
    assert np.allclose(out["fwhm_xyz_mm"], 1.3 * 2 * SIGMA_TO_FWHM, rtol=0.15)


def test_fwhmx_program_names_a_mask_on_another_grid(tmp_path, capsys):
    nib.save(nib.Nifti1Image(np.zeros((8, 8, 8, 3), np.float32), np.eye(4)), tmp_path / "r.nii.gz")
    nib.save(nib.Nifti1Image(np.ones((9, 8, 8), np.uint8), np.eye(4)), tmp_path / "m.nii.gz")
    assert main(["fwhmx", "--input", str(tmp_path / "r.nii.gz"), "--mask", str(tmp_path / "m.nii.gz"),
                 "--out-prefix", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "m.nii.gz" in err and "resample" in err


def mni_grid(voxel=3.0):
    shape = (61, 73, 61)
    affine = np.diag([voxel, voxel, voxel, 1.0])
    affine[:3, 3] = [-90.0, -126.0, -72.0]
    return shape, affine


def test_cluster_table_finds_planted_clusters_with_atlas_labels():
    shape, affine = mni_grid()
    ijk = np.indices(shape).reshape(3, -1)
    xyz = (affine[:3, :3] @ ijk + affine[:3, 3:4]).reshape(3, *shape)
    p = np.ones(shape)
    stat = np.zeros(shape)
    sign = np.zeros(shape)
    planted = {"amygdala": ((-24.0, -3.0, -18.0), 8.0, +1), "frontal": ((30.0, 54.0, 12.0), 10.0, -1),
               "small": ((0.0, -60.0, 30.0), 3.5, +1)}
    for centre, radius, s in planted.values():
        d = np.sqrt(sum((xyz[a] - centre[a]) ** 2 for a in range(3)))
        blob = d <= radius
        p[blob] = 1e-4 * (1 + d[blob])  # smallest at the centre
        stat[blob] = 20 - d[blob]
        sign[blob] = s
    mask = np.ones(shape, bool)
    small = int((np.sqrt(sum((xyz[a] - planted["small"][0][a]) ** 2 for a in range(3))) <= 3.5).sum())
    labels = find_clusters(p, mask, 0.005, 1, small + 1)
    assert labels.max() == 2  # the small blob is below the size threshold
    table = cluster_table(labels, affine, stat, p, "F", sign)
    frontal, amygdala = table.iloc[0], table.iloc[1]  # numbered by size: the frontal blob is larger
    assert frontal["voxels"] > amygdala["voxels"]
    assert frontal["volume_mm3"] == pytest.approx(frontal["voxels"] * 27.0)
    for row, (centre, _, s) in ((frontal, planted["frontal"]), (amygdala, planted["amygdala"])):
        assert np.allclose([row["peak_x"], row["peak_y"], row["peak_z"]], centre, atol=1.5)
        assert np.allclose([row["com_x"], row["com_y"], row["com_z"]], centre, atol=1.5)
        assert row["peak_F"] == pytest.approx(20.0, abs=1.5) and row["sign"] == ("+" if s > 0 else "-")
    assert "Left_Amygdala" in amygdala["harvard_oxford_peak"]
    assert "Amygdala_L" in amygdala["aal_peak"]
    assert "Frontal" in frontal["harvard_oxford_regions"]
    shares = [float(part.split("%")[0]) for part in amygdala["aal_regions"].split("; ")]
    assert sum(shares) == pytest.approx(100.0, abs=0.5)
    # bi-sided: touching positive and negative voxels are separate clusters
    p2 = np.ones(shape)
    p2[30:34, 30:40, 30:34] = 1e-4
    sign2 = np.ones(shape)
    sign2[30:34, 35:40, 30:34] = -1
    assert find_clusters(p2, mask, 0.005, 1, 1).max() == 1
    assert find_clusters(p2, mask, 0.005, 1, 1, sign2).max() == 2


def test_fft_acf_equals_the_pair_sums_of_its_definition():
    """empirical_acf (FFT, all offsets at once) against 3dFWHMx's definition written out per offset:
    sum over mask pairs (x, x+d) of (f(x) - mean)(f(x+d) - mean) / (var (n_d - 1)), mean over volumes."""
    from trialmri.clusters.acf import empirical_acf

    rng = np.random.default_rng(8)
    shape = (14, 15, 13)
    mask = ellipsoid(shape, fill=1.0) & (rng.random(shape) > 0.1)
    vols = np.moveaxis(smoothed_noise(rng, shape, 1.0, 3), 0, -1) + 5.0
    voxel = (2.0, 2.5, 3.0)
    radius, acf = empirical_acf(vols, mask, voxel, 7.5)
    checked = 0
    for d in [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (2, -1, 1), (-3, 0, 0), (0, 2, -1)]:
        r = float(np.sqrt(sum((a * v) ** 2 for a, v in zip(d, voxel))))
        src = tuple(slice(max(0, -a), n - max(0, a)) for a, n in zip(d, shape))
        dst = tuple(slice(max(0, a), n - max(0, -a)) for a, n in zip(d, shape))
        pair = mask[src] & mask[dst]
        values = []
        for k in range(vols.shape[-1]):
            f = vols[..., k]
            mean, var = f[mask].mean(), f[mask].var(ddof=1)
            values.append(((f[src] - mean) * (f[dst] - mean))[pair].sum() / (var * (pair.sum() - 1)))
        hit = np.isclose(radius, r)
        # offsets d and -d are the same pairs; every offset at this radius with this |d| pattern is listed
        assert hit.any()
        assert np.any(np.isclose(acf[hit], np.mean(values), rtol=1e-9, atol=1e-12)), (d, acf[hit], np.mean(values))
        checked += 1
    assert checked == 7


def test_a_model_not_fitted_gives_empty_cluster_outputs_that_say_why(tmp_path):
    """Early in a trial the LME cannot be estimated (fitted false, empty fit mask): the smoothness
    step refuses with a message, and the cluster files are written, empty, with the reason."""
    from trialmri.clusters.cluster_files import (apply_threshold, run_fwhmx, summarize_clusters,
                                                 write_not_estimated)

    affine = np.diag([4.0, 4.0, 4.0, 1.0])
    nib.save(nib.Nifti1Image(np.zeros((6, 6, 6, 2), np.float32), affine), tmp_path / "stats.nii.gz")
    nib.save(nib.Nifti1Image(np.zeros((6, 6, 6, 3), np.float32), affine), tmp_path / "resid.nii.gz")
    nib.save(nib.Nifti1Image(np.zeros((6, 6, 6), np.uint8), affine), tmp_path / "fit.nii.gz")
    reason = "too few subjects (2) for the model"
    (tmp_path / "stats.json").write_text(json.dumps({"fitted": False, "reason": reason, "volumes": []}))
    with pytest.raises(ValueError, match="no voxel"):
        run_fwhmx(tmp_path / "resid.nii.gz", tmp_path / "fit.nii.gz", tmp_path / "acf")
    write_not_estimated(tmp_path / "cs.json", "no smoothness: mask empty", tables_prefix=tmp_path / "cs")
    assert "not run" in (tmp_path / "cs.NN2_bisided.1D").read_text()
    out = apply_threshold(tmp_path / "stats.nii.gz", tmp_path / "stats.json", tmp_path / "fit.nii.gz",
                          tmp_path / "cs.json", "group:treatment", 0.005, 0.05, 1, "auto",
                          tmp_path / "dseg.nii.gz", tmp_path / "t.tsv", tmp_path / "t.json")
    assert out["clusters"] == 0 and out["reason"] == reason
    assert np.asarray(nib.load(tmp_path / "dseg.nii.gz").dataobj).max() == 0
    summary = summarize_clusters(["VS", "DC"], [tmp_path / "t.tsv"] * 2, [tmp_path / "t.json"] * 2)
    assert list(summary.seed) == ["VS", "DC"] and (summary.note == reason).all()
    assert "cluster" in summary.columns and summary.cluster.isna().all()


def write_lme_stats(folder, planted: dict, terms=("group", "treatment", "group:treatment"), size=5.0,
                    fitted=True):
    """A seed's LME statistics on a 6 mm MNI grid as the workflow writes them (F, p per term with
    its intercept, t per one-coefficient term, the sidecar's volume list), a full fit mask and a
    clustsim JSON with C(p, alpha) = ``size`` voxels for every side. ``planted``: term -> (centre
    mm, radius mm, sign); those voxels get p from 1e-4 (centre) to 2e-4 and F from 20 to 19, the
    rest p = 0.5."""
    shape, affine = mni_grid(6.0)
    shape = tuple(-(-n // 2) for n in shape)
    ijk = np.indices(shape).reshape(3, -1)
    xyz = (affine[:3, :3] @ ijk + affine[:3, 3:4]).reshape(3, *shape)
    volumes, data = [], []
    for term in ("(Intercept)", *terms):
        p, F, t = np.full(shape, 0.5), np.ones(shape), np.ones(shape)
        if term in planted:
            centre, radius, sign = planted[term]
            d = np.sqrt(sum((xyz[a] - centre[a]) ** 2 for a in range(3))) / radius
            blob = d <= 1
            p[blob], F[blob] = 1e-4 * (1 + d[blob]), 20.0 - d[blob]
            t[blob] = sign * np.sqrt(F[blob])
        volumes += [{"term": term, "stat": "F", "df_num": 1, "df_den": 40},
                    {"term": term, "stat": "p", "df_num": 1, "df_den": 40}]
        data += [F, p]
        volumes.append({"coef": term.replace(":", "1:") + "1", "term": term, "stat": "t", "df": 40})
        data.append(t)
    nib.save(nib.Nifti1Image(np.stack(data, -1).astype(np.float32), affine), folder / "stats.nii.gz")
    (folder / "stats.json").write_text(json.dumps({"fitted": fitted, "volumes": volumes}))
    nib.save(nib.Nifti1Image(np.ones(shape, np.uint8), affine), folder / "fit.nii.gz")
    table = {f"NN{nn}": {side: {"0.005": {"0.05": size}} for side in SIDES} for nn in (1, 2, 3)}
    (folder / "cs.json").write_text(json.dumps({**table, "acf": [0.5, 3.0, 6.0], "engine": "test"}))
    return [folder / name for name in ("stats.nii.gz", "stats.json", "fit.nii.gz", "cs.json")]


def test_every_term_gets_its_clusters_in_one_table(tmp_path):
    """Clusters planted in two terms' maps (none in the interaction's) come out under their own
    term, with the columns of the term-of-interest table; that table itself is unchanged by the
    all-terms one; a model not fitted gives a header-only table with the reason."""
    from trialmri.clusters.cluster_files import apply_threshold, apply_threshold_terms
    from trialmri.tables import read_tsv

    planted = {"group": ((-24.0, -6.0, -18.0), 12.0, +1), "treatment": ((30.0, 48.0, 12.0), 12.0, -1)}
    inputs = write_lme_stats(tmp_path, planted)
    atlases = ("harvard_oxford",)
    out = apply_threshold_terms(*inputs, 0.005, 0.05, 1, "auto", tmp_path / "all.tsv", tmp_path / "all.json",
                                atlases=atlases)
    table = read_tsv(tmp_path / "all.tsv")
    assert list(out["terms"]) == ["group", "treatment", "group:treatment"]  # no intercept
    assert {t: v["clusters"] for t, v in out["terms"].items()} == {"group": 1, "treatment": 1,
                                                                  "group:treatment": 0}
    assert all(v["sided"] == "2-sided" and v["min_voxels"] == 5 for v in out["terms"].values())
    assert list(table.term) == ["group", "treatment"] and list(table.sign) == ["+", "-"]
    for row in table.itertuples():
        centre = planted[row.term][0]
        assert np.allclose([row.peak_x, row.peak_y, row.peak_z], centre)
        assert np.allclose([row.com_x, row.com_y, row.com_z], centre, atol=3.0)
        assert row.peak_F == pytest.approx(20.0) and row.peak_p == pytest.approx(1e-4)
    one = apply_threshold(*inputs, "treatment", 0.005, 0.05, 1, "auto", tmp_path / "d.nii.gz", tmp_path / "t.tsv",
                          tmp_path / "t.json", atlases=atlases)
    single = read_tsv(tmp_path / "t.tsv")
    assert list(table.columns) == ["term", *single.columns]
    assert table[table.term == "treatment"].drop(columns="term").reset_index(drop=True).equals(single)
    assert {k: one[k] for k in out["terms"]["treatment"]} == out["terms"]["treatment"]
    # bisided: each one-coefficient term clustered by its sign, the same clusters here
    bi = apply_threshold_terms(*inputs, 0.005, 0.05, 1, "bisided", tmp_path / "b.tsv", tmp_path / "b.json",
                               atlases=atlases)
    assert {t: v["sided"] for t, v in bi["terms"].items()} == dict.fromkeys(out["terms"], "bisided")
    not_fitted = write_lme_stats(tmp_path, {}, fitted=False)
    none = apply_threshold_terms(*not_fitted, 0.005, 0.05, 1, "auto", tmp_path / "n.tsv", tmp_path / "n.json")
    assert none["clusters"] == 0 and "reason" in none and read_tsv(tmp_path / "n.tsv").empty
