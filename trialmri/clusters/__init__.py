"""Cluster-level family-wise error control, as AFNI's 3dFWHMx -acf and 3dClustSim -acf do it:
the spatial autocorrelation of model residuals (``acf``), Monte Carlo noise fields with that
autocorrelation (``noise``), the largest noise cluster per field (``neighbours``, ``clustsim``),
and the clusters of a statistic map with their atlas labels (``cluster_table``)."""
