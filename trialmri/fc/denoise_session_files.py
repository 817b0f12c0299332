"""One session's denoising from files (rule denoise_bold): the denoised series, its mask, the
censoring table, the JSON sidecar (what was regressed and kept, or why the session is excluded)
and the framewise-displacement figure (FD in mm; TR in s)."""

from __future__ import annotations

from trialmri.fc.denoise_files import denoise_files
from trialmri.fc.qc_plots import plot_framewise_displacement
from trialmri.fc.strategy import DenoiseStrategy
from trialmri.text_files import write_json
from trialmri.tables import read_tsv


def write_denoised_session(bold_path, mask_path, denoise: dict, out_bold, out_mask, out_censoring, out_sidecar,
                           out_figure, name: str) -> list[str]:
    """Denoise one session with config rsfmri.denoise (``denoise``; ``mask_path`` None: a mask from
    the series) and write every output; returns the lines to log (``name``: the session's, e.g.
    ``sub-01 ses-a``): volumes kept, confounds trialmri computed, the exclusion if any."""
    strategy = DenoiseStrategy.from_config(denoise)
    summary = denoise_files(bold_path, strategy, out_bold, out_mask, out_censoring, mask_path=mask_path)
    write_json(out_sidecar, summary)
    plot_framewise_displacement(read_tsv(out_censoring), strategy.fd_threshold_mm, summary["RepetitionTime"],
                                out_figure, title=f"{name}: framewise displacement and censoring",
                                dvars_threshold=strategy.std_dvars_threshold)
    lines = [f"{name}: kept {summary['VolumesKept']} of {summary['VolumesTotal']} volumes, "
             f"{summary['VoxelsInMask']} voxels, {summary['Seconds']} s"]
    lines += [f"{name}: confound {column} not in fMRIPrep's table, added by trialmri: {how}"
              for column, how in summary["ComputedConfounds"].items()]
    return lines + ([f"{name}: EXCLUDED: {summary['Excluded']}"] if summary["Excluded"] else [])
