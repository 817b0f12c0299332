"""The native warp's transform chain (trialmri.dwi.warp_files): ANTs order, template side first, the
post session's rigid last, a pre session without it."""

from trialmri.dwi.warp_files import transform_chain


def test_transform_chain_in_ants_order():
    post = {"md": "md", "session": "s.mat", "dwi_to_t1w": "d.mat", "affine": "a.mat", "warp": "w.nii.gz", "fa": "fa"}
    assert transform_chain(post) == ["w.nii.gz", "a.mat", "d.mat", "s.mat"]
    pre = {k: v for k, v in post.items() if k != "session"}
    assert transform_chain(pre) == ["w.nii.gz", "a.mat", "d.mat"]
