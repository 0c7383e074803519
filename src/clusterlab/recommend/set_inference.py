"""The set recommender's forward pass in NumPy, for inference only.

`nets.SetRecommender` (PyTorch) is what trains; this reads the same safetensors weights and
computes the same outputs without importing torch, whose import alone took 1.1 s of the 2.5 s
that `clusterlab auto` spent recommending on a 200-row table. A test holds the two passes equal
on the shipped weights. Layers, as in `SetRecommender`: a row MLP (phi), attention pooling
with learned queries (4 heads, padded rows masked), a trunk over the pooled summary and the
standardised meta-features, and two heads (tanh ARI per algorithm; logits over k)."""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from ..checkpoints import load_tensors
from ..errors import DataError

HEADS = 4  # nets.SetRecommender's attention pooling


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class SetForward:
    def __init__(self, weights: dict[str, np.ndarray], description: dict, source):
        """`description` is the model's entry of state.json (algorithms, p, n_meta, max_k); the
        weights must have the shapes it implies."""
        self.w = {k: v.astype(np.float64) for k, v in weights.items()}
        shapes = {"phi.0.weight": (None, description["p"]), "ari_head.weight": (len(description["algorithms"]), None),
                  "k_head.weight": (description["max_k"] - 1, None), "meta_mean": (description["n_meta"],),
                  "meta_std": (description["n_meta"],), "queries": (None, None), "pool.in_proj_weight": (None, None),
                  "pool.in_proj_bias": (None,), "pool.out_proj.weight": (None, None), "pool.out_proj.bias": (None,)}
        if not all(np.isfinite(v).all() for v in self.w.values()):
            raise DataError(f"{source} holds NaN or infinite weights; the model cannot rank anything: retrain it")
        for name, shape in shapes.items():
            have = self.w[name].shape if name in self.w else None
            if have is None or len(have) != len(shape) or any(s is not None and s != h for s, h in zip(shape, have)):
                raise DataError(f"{source} holds weights of another model: {name} has shape {have}, "
                                f"the model's description implies {tuple('*' if s is None else s for s in shape)}")

    @classmethod
    def load(cls, path, description: dict) -> "SetForward":
        return cls(load_tensors(path, "model weights", numpy=True), description, path)

    def _linear(self, name: str, x: np.ndarray) -> np.ndarray:
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def __call__(self, rows: np.ndarray, mask: np.ndarray, meta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One dataset (no batch axis): (expected ARI per algorithm, logits over k = 2..max_k)."""
        w = self.w
        h = self._linear("phi.4", _gelu(self._linear("phi.2", _gelu(self._linear("phi.0", rows.astype(np.float64))))))
        width = h.shape[1]
        wq, wk, wv = np.split(w["pool.in_proj_weight"], 3)
        bq, bk, bv = np.split(w["pool.in_proj_bias"], 3)
        d = width // HEADS
        q = (w["queries"] @ wq.T + bq).reshape(-1, HEADS, d).transpose(1, 0, 2)  # heads, seeds, d
        k = (h @ wk.T + bk).reshape(-1, HEADS, d).transpose(1, 0, 2)  # heads, rows, d
        v = (h @ wv.T + bv).reshape(-1, HEADS, d).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(d)
        scores = np.where(np.asarray(mask, bool)[None, None, :], scores, -np.inf)
        scores = np.exp(scores - scores.max(axis=2, keepdims=True))
        attn = scores / scores.sum(axis=2, keepdims=True)
        pooled = (attn @ v).transpose(1, 0, 2).reshape(-1, width)
        pooled = self._linear("pool.out_proj", pooled)
        meta = np.clip((meta.astype(np.float64) - w["meta_mean"]) / w["meta_std"], -10, 10)
        z = _gelu(self._linear("trunk.2", _gelu(self._linear("trunk.0", np.concatenate([pooled.ravel(), meta])))))
        return np.tanh(self._linear("ari_head", z)), self._linear("k_head", z)
