"""What the main job returns: every decision with its reason, the partition and its scores.

`Outcome` is what one input kind produces (`numeric`, `mixed`); `AutoResult` adds what the job
knows of the whole dataset (scores against a truth, balance, profiles, time)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from ..data import Dataset


@dataclass
class Decision:
    step: str
    choice: object
    reason: str
    scores: dict = field(default_factory=dict)


@dataclass(kw_only=True)
class Outcome:
    labels: np.ndarray  # one per dataset row; -1: noise, or a row that could not be used
    algorithm: str
    k: int
    decisions: list[Decision]
    internal: dict  # internal scores of the partition
    candidates: list[dict]  # the choice first, then the runners-up it was compared with
    confidence: np.ndarray | None  # one per dataset row (NaN where unassigned)
    confidence_kind: str
    # The vector space the partition is shown in (encoded features) and the dataset rows of its
    # rows (None: every row); for a table on Gower distance also (rows, Gower matrix) of a sample.
    space: np.ndarray = field(repr=False)
    space_rows: np.ndarray | None = None
    distances: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)
    autok: dict = field(default_factory=dict)
    recommendation: dict = field(default_factory=dict)
    consensus: object | None = field(default=None, repr=False)  # the auto-k Consensus (for its curves)
    timings: dict = field(default_factory=dict)
    # What places new rows (`fitted.FittedModel`), and its outlier flag of every dataset row.
    model: object | None = field(default=None, repr=False)
    outlier: np.ndarray | None = field(default=None, repr=False)

    @property
    def space_labels(self) -> np.ndarray:
        return self.labels if self.space_rows is None else self.labels[self.space_rows]


@dataclass(kw_only=True)
class AutoResult(Outcome):
    dataset: Dataset
    external: dict | None
    balance: dict
    profiles: list[dict]
    seconds: float
    seed: int = 0
    paths: dict = field(default_factory=dict)  # the files written, once written

    @classmethod
    def of(cls, outcome: Outcome, **more) -> "AutoResult":
        return cls(**{f.name: getattr(outcome, f.name) for f in fields(Outcome)}, **more)
