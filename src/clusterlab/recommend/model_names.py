"""The recommender models by name, without importing torch (labelling workers never need it)."""

from __future__ import annotations

from ..algorithms import names
from ..errors import ParameterError

# The ten algorithms ClustRecNet was published with, one output each: tagged in the registry.
CLUSTRECNET_ALGORITHMS = tuple(names(tag="clustrecnet"))
VARIANTS = {
    "baseline_cnn": dict(cnn=True, res=False, att=False),
    "no_cnn": dict(cnn=False, res=True, att=True),
    "no_res": dict(cnn=True, res=False, att=True),
    "no_att": dict(cnn=True, res=True, att=False),
    "cnnresatt": dict(cnn=True, res=True, att=True),
}


# Every model `recommend train --model-name` can build: the five published variants and ours.
MODEL_NAMES = ("set", *VARIANTS)


def input_kind(model_name: str) -> str:
    """Which encoding a model reads: `set` (canonical_set) or `grid` (clustrecnet_grid)."""
    if model_name not in MODEL_NAMES:
        raise ParameterError(f"model_name={model_name!r} is not allowed; choose one of: {', '.join(MODEL_NAMES)}")
    return "set" if model_name == "set" else "grid"


