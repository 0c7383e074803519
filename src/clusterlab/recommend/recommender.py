"""Recommending algorithms for a new dataset with a trained network.

`Recommender.load()` reads the model shipped with the package (`recommend/shipped/`), or any
run folder of `clusterlab recommend train` (its `state.json` and `weights.safetensors`).
`predict(x)` ranks the model's algorithms for the matrix `x`:
- the set model gives each algorithm's expected ARI, a k (the mode of its k head, with its
  probability) and an 80 % interval for the top pick's ARI, calibrated on held-out synthetic
  data (split conformal; see `train.py`);
- ClustRecNet variants give, as published, each algorithm's probability of ARI > 0.8 and no k.
The input is z-scored inside the encoding; any n and d are taken (see `encoders.py`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..algorithms import REGISTRY
from ..errors import DataError
from .encoders import encode_for
from .model_files import load_weights, read_state
from .set_inference import SetForward

SHIPPED = Path(__file__).parent / "shipped"


@dataclass
class Recommendation:
    ranking: list[tuple[str, float]]  # best first: (algorithm, score)
    score: str  # what the scores are
    k: int | None
    k_probability: float | None
    interval: tuple[float, float] | None  # for the top pick's ARI
    model: str
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def algorithm(self) -> str:
        return self.ranking[0][0]

    def to_dict(self) -> dict:
        return {"algorithm": self.algorithm, "k": self.k, "k_probability": self.k_probability,
                "interval": list(self.interval) if self.interval else None, "score": self.score,
                "ranking": [{"algorithm": a, "score": round(s, 4)} for a, s in self.ranking],
                "model": self.model, "seconds": round(self.seconds, 4), "notes": self.notes}


class Recommender:
    def __init__(self, model, state: dict, source: Path):
        self.model, self.state, self.source = model, state, source
        self.load_seconds = 0.0
        self.description = state["model"]

    @classmethod
    def load(cls, path: str | Path | None = None) -> "Recommender":
        """A model folder (the shipped model when `path` is None). Set models run in NumPy
        (`set_inference`), so recommending never imports torch; ClustRecNet grids run in torch."""
        start = time.perf_counter()
        folder = Path(path) if path is not None else SHIPPED
        if folder.is_file():  # a weights file: its state.json lies beside it
            folder = folder.parent
        if not folder.is_dir():
            raise DataError(f"no recommender model at {folder}: expected a folder with state.json and "
                            "weights.safetensors (a `clusterlab recommend train` run)")
        state = read_state(folder)
        d = state["model"]
        unknown = [a for a in d.get("algorithms", []) if a not in REGISTRY]
        if unknown or not d.get("algorithms"):
            raise DataError(f"the recommender in {folder} ranks algorithms this clusterlab does not have: "
                            f"{', '.join(map(str, unknown)) or 'none listed'}; retrain it (clusterlab recommend train)")
        best = folder / "best.safetensors"  # the validation-chosen epoch, where training kept one
        weights = best if best.exists() and "best" in state else folder / "weights.safetensors"
        try:
            if d["kind"] == "set":
                model = SetForward.load(weights, d)
            else:
                from .nets import build_model

                model = build_model(d["name"], len(d["algorithms"]), n_features=d["p"], n_meta=d["n_meta"],
                                    max_k=d["max_k"])
                load_weights(model, weights)
                model.eval()
        except (KeyError, TypeError) as exc:
            raise DataError(f"{folder / 'state.json'} lacks the model field {exc}") from None
        rec = cls(model, state, folder)
        # One small pass now: the encoders import lazily on first use, and that belongs to
        # loading, not to each recommendation.
        rec.predict(np.random.default_rng(0).normal(size=(8, 2)))
        rec.load_seconds = time.perf_counter() - start
        return rec

    @property
    def name(self) -> str:
        return self.description["name"]

    @property
    def algorithms(self) -> list[str]:
        return list(self.description["algorithms"])

    def predict(self, x: np.ndarray, seed: int = 0) -> Recommendation:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[0] < 3:
            raise DataError(f"the recommender needs a matrix of at least 3 rows, got shape {x.shape}")
        if not np.isfinite(x).all():
            raise DataError("the matrix holds NaN or infinite values; impute or drop them first")
        start = time.perf_counter()
        d = self.description
        arrays = encode_for(d["kind"], x, m=d["m"], p=d["p"], seed=seed)
        notes = []
        if d["kind"] == "set":
            scores, k_logits = self.model(*arrays)
            k_prob = np.exp(k_logits - k_logits.max())
            k_prob /= k_prob.sum()
            k, k_probability = min(int(k_prob.argmax()) + 2, max(2, x.shape[0] - 1)), float(k_prob.max())
            score = "expected ARI"
            n = x.shape[0]
            if n > d["m"]:
                notes.append(f"encoded {d['m']} of {n:,} rows, chosen by content (any row order gives the same)")
        else:
            import torch

            with torch.no_grad():
                logits = self.model(torch.from_numpy(arrays[0].astype(np.float32))[None])
            scores = torch.sigmoid(logits[0]).numpy()
            k = k_probability = None
            score = "P(ARI > 0.8)"
            if x.shape[0] > 2000 or x.shape[1] > 50:
                notes.append("ClustRecNet reads at most 2,000 rows x 50 columns: the input was cut down")
        order = np.argsort(-scores, kind="stable")
        ranking = [(d["algorithms"][i], float(scores[i])) for i in order]
        interval = None
        last = self.state.get("best") or (self.state["history"][-1] if self.state.get("history") else {})
        if "interval_low" in last:
            top = ranking[0][1]
            interval = (max(-1.0, top + last["interval_low"]), min(1.0, top + last["interval_high"]))
        return Recommendation(ranking, score, k, k_probability, interval, self.name,
                              time.perf_counter() - start, notes)
