"""The DTI arm: gradient tables, brain masks, tensor fits, registration to MNI, FSL commands."""
