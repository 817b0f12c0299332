"""The log lines the workflow's scripts print, built in the package (scripts only unpack and call)."""

from types import SimpleNamespace

import numpy as np

from trialmri.clusters.cluster_files import terms_summary, threshold_summary
from trialmri.dwi.correction_files import correction_summary


def test_correction_summary_names_the_layout_field_range_and_outliers():
    field = SimpleNamespace(field_hz=np.array([-12.34, 0.0, 56.78]), seconds=3.21, mismatch_before=9.87,
                            mismatch_after=1.23)
    both = SimpleNamespace(field=field, field_only=[], outliers=[1, 2], combination="AP and PA averaged")
    assert correction_summary(both) == [
        "reverse phase encoding: two full DWI series",
        "field -12.3 to 56.8 Hz in 3.2 s; b0 mismatch 9.9 -> 1.2; 2 outlier slices; AP and PA averaged"]
    b0_only = SimpleNamespace(field=field, field_only=["PA"], outliers=[], combination="AP alone")
    assert correction_summary(b0_only)[0] == "reverse phase encoding: b0-only series PA in fmap/ (the field only)"


def test_threshold_summary_says_clusters_or_why_none():
    found = {"clusters": 2, "min_voxels": 17, "sided": "bisided", "voxels_supra": 340}
    assert threshold_summary(found, "VS", "group:treatment", 0.005, 0.05, 1) == (
        "seed VS: 2 cluster(s) of group:treatment at p < 0.005 with >= 17 voxels (NN1 bisided, alpha 0.05); "
        "340 voxels below p")
    assert threshold_summary({"reason": "model not estimable"}, "VS", "t", 0.005, 0.05, 1) == (
        "seed VS: no clusters: model not estimable")


def test_terms_summary_lists_every_term_or_the_reason():
    out = {"terms": {"group": {"clusters": 0, "min_voxels": 20, "sided": "2-sided"},
                     "group:treatment": {"clusters": 1, "min_voxels": 18, "sided": "bisided"}}}
    assert terms_summary(out, "DC") == ("seed DC: group: 0 cluster(s) >= 20 voxels (2-sided); "
                                       "group:treatment: 1 cluster(s) >= 18 voxels (bisided)")
    assert terms_summary({"reason": "no fit", "terms": {}}, "DC") == "seed DC: no fit"
