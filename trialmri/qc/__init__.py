"""Quality checks of inputs and outputs."""
