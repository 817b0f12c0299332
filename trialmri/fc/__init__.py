"""Resting-state functional connectivity (study 000's subject level).

Denoising of fMRIPrep-style MNI-space BOLD with nilearn (:mod:`.strategy`, :mod:`.confounds`,
:mod:`.denoise`), seed spheres as an ROI label map (:mod:`.seeds`), seed-to-voxel Pearson r and
Fisher z maps as 3dNetCorr writes them (:mod:`.netcorr`, :mod:`.netcorr_files`), the AFNI engine's
command lines (:mod:`.afni_commands`) and QC figures (:mod:`.qc_plots`).
"""
