"""Synthetic drug-trial MRI datasets with planted ground truth (``trialmri synth``)."""

from trialmri.synth.presets import PRESETS, Distortions, Preset, get_preset
from trialmri.synth.trial import synthesize

__all__ = ["PRESETS", "Distortions", "Preset", "get_preset", "synthesize"]
