"""Group statistics on tables: Winsorizing, t-tests, OLS with standardized betas, correlations.

Everything here takes and returns pandas tables, so it is tested without images or Snakemake.
"""
