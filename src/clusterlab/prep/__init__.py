"""From a `Dataset` to what an algorithm consumes: encoded matrices (and, later, distances)."""

from .encode import CATEGORICAL, MISSING, SCALES, Encoding, encode

__all__ = ["CATEGORICAL", "MISSING", "SCALES", "Encoding", "encode"]
