"""trialmri: drug-trial MRI from BIDS to publication-ready statistics.

The package holds all logic of the Snakemake workflow (BIDS I/O, synthetic data, engines,
statistics) so that it can be used and tested without Snakemake.
"""

__version__ = "0.1.0"
