"""``trialmri register``: the workflow's native registration chain to the template, from files.

The chain is the workflow's (rules ``register_dwi_to_t1w``, ``register_t1w_to_template``,
``register_sessions`` and ``warp_dti_to_template``; :mod:`trialmri.dwi.registration`):

1. the session's mean b0 → the subject's T1w, rigid;
2. the T1w, masked by the b0 brain mask carried into T1w space and dilated, → the template,
   affine + SyN;
3. optionally a second session's mean b0 → the first's, rigid (the workflow's post session: both
   sessions then share one T1w → template warp);
4. optionally maps resampled once into the template through the composed chain.

Every input is checked first (:class:`~trialmri.errors.InputError` naming the option and file).
A step that reads a transform an earlier step wrote in the same run reads it under its hidden name
(:func:`trialmri.atomic.readable`): outputs are renamed into place only when the run succeeds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from trialmri.atomic import readable
from trialmri.dwi.defaults import SYN_ITERATIONS
from trialmri.errors import InputError
from trialmri.image_inputs import check_grid, read_image, read_mask

_IMAGE_EXT = re.compile(r"\.nii(\.gz)?$")


@dataclass
class RegisterInputs:
    """Checked inputs of one run; map name -> path (name: the file name without .nii[.gz])."""

    b0: str
    dwi_mask: str
    t1w: str
    template: str
    maps: dict = field(default_factory=dict)
    session_b0: str | None = None
    session_mask: str | None = None
    session_maps: dict = field(default_factory=dict)
    syn_iterations: tuple = SYN_ITERATIONS


def outputs(prefix, inputs: RegisterInputs) -> dict[str, str]:
    """Output key -> path under ``--out-prefix`` ``prefix``; maps as ``map:<name>`` and
    ``sidecar:<name>``."""
    out = {"dwi_to_t1w": f"{prefix}_b0_to_T1w_rigid.mat",
           "affine": f"{prefix}_T1w_to_template_affine.mat",
           "warp": f"{prefix}_T1w_to_template_warp.nii.gz",
           "brain": f"{prefix}_T1w_masked.nii.gz"}
    if inputs.session_b0 is not None:
        out["session"] = f"{prefix}_session_to_b0_rigid.mat"
    for name in [*inputs.maps, *inputs.session_maps]:
        out[f"map:{name}"] = f"{prefix}_{name}_template.nii.gz"
        out[f"sidecar:{name}"] = f"{prefix}_{name}_template.json"
    return out


def _volume(path, what: str):
    image = read_image(path, what)
    if image.ndim != 3:
        hint = " (the session's mean b0, as the workflow's desc-meanb0_dwiref)" if what.endswith("b0") else ""
        raise InputError(f"{what} {path}: {image.ndim}-D {tuple(image.shape)}; it must be one 3-D volume{hint}")
    return image


def _maps(paths, what: str, ref, ref_what: str, ref_path, taken: set) -> dict[str, str]:
    named = {}
    for path in paths or []:
        image = _volume(path, what)
        check_grid(image, ref, what, path, ref_what, ref_path)
        name = _IMAGE_EXT.sub("", Path(path).name)
        if name in taken:
            raise InputError(f"{what} {path}: a second map named {name}; outputs are named after the file "
                             "name, so give maps different file names")
        taken.add(name)
        named[name] = str(path)
    return named


def syn_levels(text: str) -> tuple[int, ...]:
    """``--syn-iterations`` ``"40,20,5"`` as SyN iterations per level, coarse to fine."""
    try:
        levels = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        levels = ()
    if not levels or any(v < 0 for v in levels) or not any(levels):
        raise InputError(f"--syn-iterations {text!r}: give whole numbers >= 0 per level, coarse to fine, "
                         f"separated by commas (default {','.join(map(str, SYN_ITERATIONS))})")
    return levels


def check_inputs(b0, dwi_mask, t1w, template, maps=None, session_b0=None, session_mask=None,
                 session_maps=None, syn_iterations: str | None = None) -> RegisterInputs:
    """Read and check every input (before any registration); see :class:`RegisterInputs`."""
    levels = syn_levels(syn_iterations) if syn_iterations is not None else SYN_ITERATIONS
    b0_img = _volume(b0, "--b0")
    read_mask(dwi_mask, "--dwi-mask", b0_img, "--b0", b0)
    _volume(t1w, "--t1w")
    _volume(template, "--template")
    if (session_b0 is None) != (session_mask is None):
        given, missing = ("--session-b0", "--session-mask") if session_mask is None else ("--session-mask",
                                                                                          "--session-b0")
        raise InputError(f"{given}: needs {missing} too (the other session's mean b0 and its brain mask)")
    if session_maps and session_b0 is None:
        raise InputError(f"--session-maps {session_maps[0]}: needs --session-b0 and --session-mask (the "
                         "session the maps come from)")
    taken: set = set()
    named = _maps(maps, "--maps", b0_img, "--b0", b0, taken)
    session_named = {}
    if session_b0 is not None:
        session_img = _volume(session_b0, "--session-b0")
        read_mask(session_mask, "--session-mask", session_img, "--session-b0", session_b0)
        session_named = _maps(session_maps, "--session-maps", session_img, "--session-b0", session_b0, taken)
    return RegisterInputs(str(b0), str(dwi_mask), str(t1w), str(template), named,
                          None if session_b0 is None else str(session_b0),
                          None if session_mask is None else str(session_mask), session_named, levels)


@dataclass
class Registered:
    outputs: dict
    voxels_with_data: dict  # "maps" / "session_maps" -> template voxels where the maps have data


def register_files(inputs: RegisterInputs, out_prefix, progress=None) -> Registered:
    """Run the chain (module doc) and write :func:`outputs`; ``progress(message)`` before each step."""
    from trialmri.dwi.registration import (
        register_rigid,
        register_t1w_to_template,
        warp_maps,
        write_warp_sidecar,
    )

    say = progress or (lambda message: None)
    out = outputs(out_prefix, inputs)
    say("b0 -> T1w (rigid)")
    register_rigid(inputs.t1w, inputs.b0, out["dwi_to_t1w"])
    say("T1w -> template (affine + SyN)")
    register_t1w_to_template(inputs.t1w, inputs.template, inputs.dwi_mask, str(readable(out["dwi_to_t1w"])),
                             out["affine"], out["warp"], masked_t1w_out=out["brain"],
                             syn_iterations=inputs.syn_iterations)
    chain = [out["warp"], out["affine"], out["dwi_to_t1w"]]  # ANTs order: template side first
    if inputs.session_b0 is not None:
        say("session b0 -> b0 (rigid)")
        register_rigid(inputs.b0, inputs.session_b0, out["session"])
    counts = {}
    for key, maps, mask, steps in (("maps", inputs.maps, inputs.dwi_mask, chain),
                                   ("session_maps", inputs.session_maps, inputs.session_mask,
                                    chain + [out.get("session")])):
        if not maps:
            continue
        say(f"{', '.join(maps)} -> template")
        weight = warp_maps(maps, mask, inputs.template, [str(readable(t)) for t in steps],
                           {name: out[f"map:{name}"] for name in maps})
        counts[key] = int((weight >= 0.5).sum())
        for name, path in maps.items():
            write_warp_sidecar(out[f"sidecar:{name}"], [path, *steps], inputs.template,
                               template_name=Path(inputs.template).name, units="those of the source map")
    return Registered(out, counts)
