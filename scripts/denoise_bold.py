"""Snakemake glue: one session's BOLD -> denoised series, mask, censoring table, sidecar, FD plot."""

from trialmri.fc.denoise_files import denoise_files
from trialmri.fc.qc_plots import plot_framewise_displacement
from trialmri.fc.strategy import DenoiseStrategy
from trialmri.io import write_json
from trialmri.tables import read_tsv
from trialmri.runlog import log_to

with log_to(snakemake.log[0]):
    strategy = DenoiseStrategy.from_config(snakemake.params.denoise)
    summary = denoise_files(snakemake.input.bold, strategy, snakemake.output.bold, snakemake.output.mask,
                            snakemake.output.censoring, mask_path=snakemake.input.get("mask"))
    write_json(snakemake.output.sidecar, summary)
    name = f"sub-{snakemake.wildcards.subject} ses-{snakemake.wildcards.session}"
    plot_framewise_displacement(read_tsv(snakemake.output.censoring), strategy.fd_threshold_mm,
                                summary["RepetitionTime"], snakemake.output.fd_figure,
                                title=f"{name}: framewise displacement and censoring",
                                dvars_threshold=strategy.std_dvars_threshold)
    print(f"{name}: kept {summary['VolumesKept']} of {summary['VolumesTotal']} volumes, "
          f"{summary['VoxelsInMask']} voxels, {summary['Seconds']} s")
    for column, how in summary["ComputedConfounds"].items():
        print(f"{name}: confound {column} not in fMRIPrep's table, added by trialmri: {how}")
    if summary["Excluded"]:
        print(f"{name}: EXCLUDED: {summary['Excluded']}")
