"""Deep clustering methods behind one interface (`fit`, `predict`, `transform`).

`METHODS` is the one list of them; `make_method(name, **options)` builds one with its options
validated.
"""

from __future__ import annotations

import inspect

from ...errors import ParameterError
from .ae_kmeans import AEKMeans
from .and_method import AND
from .atc import ATCDeepEntropy
from .backbone import BackboneClusterer
from .base import DeepClusterer, Phase, as_images
from .dec import DEC, IDEC
from .n2d import N2D
from .patch_kmeans import PatchKMeans

METHODS: dict[str, type[DeepClusterer]] = {m.name: m for m in (AEKMeans, DEC, IDEC, ATCDeepEntropy, N2D, AND,
                                                                   PatchKMeans, BackboneClusterer)}


def options_of(name: str) -> set[str]:
    """The options a method's constructor accepts: its own, and its parents' for as long as each
    constructor passes the rest on (`**base`)."""
    keys = set()
    for klass in METHODS[name].__mro__:
        if "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(klass.__init__).parameters.values()
        keys |= {p.name for p in parameters if p.name != "self" and p.kind is not p.VAR_KEYWORD}
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return keys


def make_method(name: str, **options) -> DeepClusterer:
    if name not in METHODS:
        raise ParameterError(f"method {name!r} is not allowed; choose one of: {', '.join(METHODS)}")
    unknown = set(options) - options_of(name)
    if unknown:
        raise ParameterError(f"method {name} has no option {', '.join(sorted(unknown))}; "
                             f"it takes: {', '.join(sorted(options_of(name)))}")
    return METHODS[name](**options)


__all__ = ["METHODS", "DeepClusterer", "Phase", "as_images", "make_method", "options_of"]
