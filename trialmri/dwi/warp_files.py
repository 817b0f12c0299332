"""A session's MD and FA into the template from files, native engine (rule warp_dti_to_template):
resampled once through the composed ANTs chain, with a JSON sidecar of sources and chain."""

from __future__ import annotations

from trialmri.dwi.registration import warp_maps, write_warp_sidecar

# the chain's transforms in ANTs order (template side first); a pre session has no "session" rigid
CHAIN = ("warp", "affine", "dwi_to_t1w", "session")


def transform_chain(inputs: dict) -> list:
    """The transforms of ``inputs`` (name -> path) in CHAIN order, the missing ones left out."""
    return [inputs[k] for k in CHAIN if k in inputs]


def warp_session_maps(inputs: dict, outputs: dict) -> str:
    """MD and FA (``inputs`` md, fa, mask: valid DWI voxels, template, and the chain's transforms)
    -> ``outputs`` md, fa, sidecar; returns the log line (voxels with at least half a data weight)."""
    chain = transform_chain(inputs)
    weight = warp_maps({"md": inputs["md"], "fa": inputs["fa"]}, inputs["mask"], inputs["template"], chain,
                       {"md": outputs["md"], "fa": outputs["fa"]})
    write_warp_sidecar(outputs["sidecar"], [inputs["md"], inputs["fa"], *chain], inputs["template"])
    return f"chain of {len(chain)} transforms; {int((weight >= 0.5).sum())} template voxels with data"
