"""BIDS naming, discovery of inputs, phenotype tables and derivative metadata."""
