"""Numbers the DWI engines, their programs and the workflow's config share (standard library only,
so a program's ``--help`` can show them without loading the engines)."""

MOTION_ITERATIONS = 2  # rounds of DW volume -> leave-one-out prediction (config dti.corrections.iterations)
MIN_DW_VOLUMES = 8  # the linear eddy-current model's minimum of diffusion-weighted volumes
SYN_ITERATIONS = (40, 20, 5)  # T1w -> template SyN iterations per level, coarse to fine (config dti.syn_iterations)
