"""What the registry knows about each algorithm."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

Family = Literal["centroid", "hierarchical", "density", "graph", "model", "exemplar"]
Cost = Literal["linear", "n log n", "quadratic"]
Input = Literal["matrix", "table"]
INPUTS = ("matrix", "table")


@dataclass(frozen=True)
class AlgorithmSpec:
    """One clustering algorithm.

    factory(k, seed, precomputed, params) returns an unfitted scikit-learn style estimator.
    `max_n` bounds n where the algorithm needs an n x n matrix or quadratic time; beyond it the
    registry refuses and names `alternative`: registered algorithms that do the same job at a
    larger n, the first that runs at the size in question being the one a fallback takes.
    `input` is "matrix" (a numeric matrix, or a distance matrix where `precomputed`) or "table"
    (a mixed pandas table, clustered on Gower distance). `k_optional`: the algorithm takes k
    but chooses one itself when none is given.
    """

    name: str
    family: Family
    needs_k: bool
    precomputed: bool
    cost: Cost
    factory: Callable[[int | None, int, bool, dict[str, Any]], Any]
    description: str
    defaults: dict[str, Any] = field(default_factory=dict)
    max_n: int | None = None
    alternative: tuple[str, ...] | None = None
    noise: bool = False  # may label points -1 (noise)
    library: str = "scikit-learn"
    input: Input = "matrix"
    k_optional: bool = False
    # Named groups the algorithm belongs to, e.g. "clustrecnet": the ten ClustRecNet was published with.
    tags: tuple[str, ...] = ()
