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
from .base import DeepClusterer, Phase, as_images
from .dec import DEC, IDEC
from .n2d import N2D
from .patch_kmeans import PatchKMeans

METHODS: dict[str, type[DeepClusterer]] = {m.name: m for m in (AEKMeans, DEC, IDEC, ATCDeepEntropy, N2D, AND,
                                                                   PatchKMeans)}


def options_of(name: str) -> set[str]:
    cls = METHODS[name]
    keys = set()
    for klass in cls.__mro__:
        if klass is object:
            continue
        keys |= {p for p in inspect.signature(klass.__init__).parameters if p not in ("self", "base", "dec")}
    return keys - set(getattr(cls, "unused_options", ()))


def make_method(name: str, **options) -> DeepClusterer:
    if name not in METHODS:
        raise ParameterError(f"method {name!r} is not allowed; choose one of: {', '.join(METHODS)}")
    unknown = set(options) - options_of(name)
    if unknown:
        raise ParameterError(f"method {name} has no option {', '.join(sorted(unknown))}; "
                             f"it takes: {', '.join(sorted(options_of(name)))}")
    return METHODS[name](**options)


__all__ = ["METHODS", "DeepClusterer", "Phase", "as_images", "make_method", "options_of"]
