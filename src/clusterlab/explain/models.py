"""The predictive models of the study, behind one small interface: fit, predict, predict_proba.

`NeuralModel` trains IMN or TabResNet as the IMN paper does: Adam with weight decay, a linear
warm-up (5 epochs), then cosine annealing with warm restarts; the state at the end of each of
the last `snapshots` cycles is kept and their predictions averaged (a snapshot ensemble). IMN
adds an L1 penalty on the weights its head generates, which keeps the per-row linear models
sparse. Baselines a user would compare with come from scikit-learn.

Saved neural models are a JSON file (hyperparameters, encoder-free) plus safetensors weights.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..checkpoints import load_tensors, read_json, save_tensors
from ..errors import DataError, NotFoundError, ParameterError
from ..files import write_json_atomic

TASKS = ("classification", "regression")
MODEL_KINDS = ("imn", "tabresnet", "linear", "boosting")


@dataclass
class Hyper:
    # Defaults measured on Telco churn (test AUROC, seed 0): 60 epochs at weight decay 1e-4 and
    # dropout 0.1 overfit (IMN 0.789); 20 epochs, decay 0.1, dropout 0.5 reach 0.845.
    epochs: int = 20
    lr: float = 1e-3
    batch_size: int | None = None  # None: n / 20 rows, within [32, 256]
    weight_decay: float = 0.1
    l1: float = 0.1  # IMN only: weight of the L1 penalty on the generated weights
    dropout: float = 0.5
    width: int = 128
    blocks: int = 2
    warmup: int = 5
    snapshots: int = 3

    def check(self) -> "Hyper":
        for name in ("epochs", "batch_size", "width", "snapshots"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ParameterError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.epochs < self.warmup + self.snapshots:
            raise ParameterError(f"epochs ({self.epochs}) must exceed warmup + snapshots "
                                 f"({self.warmup} + {self.snapshots})")
        if not 0 <= self.dropout < 1:
            raise ParameterError(f"dropout must be in [0, 1), got {self.dropout}")
        return self


class NeuralModel:
    """IMN or TabResNet for classification or regression, on an encoded float matrix."""

    def __init__(self, kind: str = "imn", task: str = "classification", hyper: Hyper | None = None, seed: int = 0):
        if kind not in ("imn", "tabresnet"):
            raise ParameterError(f"kind={kind!r} is not allowed; choose imn or tabresnet")
        if task not in TASKS:
            raise ParameterError(f"task={task!r} is not allowed; choose one of: {', '.join(TASKS)}")
        self.kind, self.task, self.hyper, self.seed = kind, task, (hyper or Hyper()).check(), seed
        self.snapshots_: list[dict] = []

    # ---- training -------------------------------------------------------------------------
    def fit(self, x: np.ndarray, y: np.ndarray, columns=None, progress=None) -> "NeuralModel":
        """Train on (x, y); `columns` (indices) restricts the model to those columns of x, and
        later calls still pass the full-width x."""
        import torch
        from torch import nn

        from .nets import build_net

        x, y = _check_xy(x, y)
        x = _remember_columns(self, x, columns)
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        h = self.hyper
        if self.task == "classification":
            self.classes_ = np.unique(y)
            if self.classes_.size < 2:
                raise DataError("classification needs at least two classes in the training rows")
            target = np.searchsorted(self.classes_, y)
            n_out = 1 if self.classes_.size == 2 else self.classes_.size
            loss_fn = nn.BCEWithLogitsLoss() if n_out == 1 else nn.CrossEntropyLoss()
            yt = torch.as_tensor(target, dtype=torch.float32 if n_out == 1 else torch.long)
        else:
            self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() or 1.0)
            n_out, loss_fn = 1, nn.MSELoss()
            yt = torch.as_tensor((y - self.y_mean_) / self.y_std_, dtype=torch.float32)
        self.n_features_, self.n_outputs_ = x.shape[1], n_out
        net = build_net(self.kind, x.shape[1], n_out, width=h.width, blocks=h.blocks, dropout=h.dropout)
        opt = torch.optim.AdamW(net.parameters(), lr=h.lr, weight_decay=h.weight_decay)
        xt = torch.as_tensor(x)
        n = x.shape[0]
        batch = min(h.batch_size or int(np.clip(n // 20, 32, 256)), n)
        steps = max(1, n // batch)  # drop the ragged last batch: batch norm needs > 1 row
        cycle = (h.epochs - h.warmup) // h.snapshots
        snap_at = {h.warmup + cycle * (i + 1) - 1 for i in range(h.snapshots)} | {h.epochs - 1}
        snap_at = sorted(snap_at)[-h.snapshots:]
        self.snapshots_, self.history_ = [], []
        for epoch in range(h.epochs):
            lr = _lr(epoch, h, cycle)
            for group in opt.param_groups:
                group["lr"] = lr
            net.train()
            order = rng.permutation(n)
            total = 0.0
            for s in range(steps):
                idx = torch.as_tensor(order[s * batch:(s + 1) * batch])
                out, w = net(xt[idx])
                target = yt[idx]
                loss = loss_fn(out.squeeze(1) if n_out == 1 else out, target)
                if w is not None and h.l1 > 0:
                    loss = loss + h.l1 * w[:, :, :-1].abs().mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach())
            self.history_.append(total / steps)
            if epoch in snap_at:
                self.snapshots_.append({k: v.detach().clone() for k, v in net.state_dict().items()})
            if progress:
                progress(epoch + 1, h.epochs)
        self._net, self._nets = net, None
        return self

    # ---- prediction -----------------------------------------------------------------------
    def _forward(self, x: np.ndarray):
        """Average over snapshots of (outputs, contributions or None)."""
        import torch

        from .nets import contributions

        if not self.snapshots_:
            raise DataError("the model is not trained yet")
        x = _select_columns(self, _check_x(x))
        xt = torch.as_tensor(x)
        outs, contribs = [], []
        with torch.no_grad():
            for net in self._snapshot_nets():
                out, w = net(xt)
                outs.append(self._link(out))
                if w is not None:
                    contribs.append(contributions(w, xt))
        mean_out = torch.stack(outs).mean(0).numpy()
        mean_contrib = torch.stack(contribs).mean(0).numpy() if contribs else None
        return mean_out, mean_contrib

    def _snapshot_nets(self):
        # One network per snapshot, built once: SHAP calls predict thousands of times, and
        # reloading state dicts on each call cost 40 ms.
        if getattr(self, "_nets", None) is None or len(self._nets) != len(self.snapshots_):
            import copy

            self._nets = []
            for state in self.snapshots_:
                net = copy.deepcopy(self._net)
                net.load_state_dict(state)
                self._nets.append(net.eval())
        return self._nets

    def _link(self, out):
        import torch

        if self.task == "regression":
            return out[:, 0] * self.y_std_ + self.y_mean_
        if self.n_outputs_ == 1:
            p = torch.sigmoid(out[:, 0])
            return torch.stack([1 - p, p], dim=1)
        return torch.softmax(out, dim=1)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        if self.task != "classification":
            raise ParameterError("predict_proba is for classification; use predict")
        return self._forward(x)[0]

    def predict(self, x: np.ndarray) -> np.ndarray:
        out = self._forward(x)[0]
        return out if self.task == "regression" else self.classes_[out.argmax(axis=1)]

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """IMN's explanation: per-row contribution w_j(x) x_j, (rows, outputs, features)."""
        if self.kind != "imn":
            raise ParameterError("only IMN explains itself; use SHAP for TabResNet")
        contrib = self._forward(x)[1]
        if self.columns_ is None:
            return contrib
        full = np.zeros((*contrib.shape[:2], self.n_input_), dtype=contrib.dtype)  # unused columns: 0
        full[:, :, self.columns_] = contrib
        return full

    # ---- saving ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        path = Path(path)
        meta = {"kind": self.kind, "task": self.task, "hyper": asdict(self.hyper), "seed": self.seed,
                "n_features": self.n_features_, "n_outputs": self.n_outputs_, "snapshots": len(self.snapshots_),
                "columns": self.columns_, "n_input": self.n_input_}
        if self.task == "classification":
            meta["classes"] = [c.item() if isinstance(c, np.generic) else c for c in self.classes_]
        else:
            meta["y_mean"], meta["y_std"] = self.y_mean_, self.y_std_
        tensors = {f"{i}.{k}": v.contiguous() for i, s in enumerate(self.snapshots_) for k, v in s.items()}
        save_tensors(path.with_suffix(".safetensors"), tensors)
        return write_json_atomic(path.with_suffix(".json"), meta)

    @classmethod
    def load(cls, path: str | Path) -> "NeuralModel":
        from .nets import build_net

        path = Path(path).with_suffix(".json")
        if not path.exists() or not path.with_suffix(".safetensors").exists():
            raise NotFoundError(f"no saved model at {path.with_suffix('')} (.json and .safetensors)")
        try:
            meta = read_json(path, "description")
            tensors = load_tensors(path.with_suffix(".safetensors"), "weights")
        except DataError as exc:
            raise DataError(f"{path.with_suffix('')} is not a readable saved model ({exc})") from None
        if not all(bool(t.isfinite().all()) for t in tensors.values()):
            raise DataError(f"{path.with_suffix('')} is not a readable saved model: its weights hold NaN or "
                            "infinite values")
        try:
            model = cls(meta["kind"], meta["task"], Hyper(**meta["hyper"]), meta["seed"])
            model.n_features_, model.n_outputs_ = meta["n_features"], meta["n_outputs"]
            model.columns_, model.n_input_ = meta["columns"], meta["n_input"]
            if model.task == "classification":
                model.classes_ = np.asarray(meta["classes"])
            else:
                model.y_mean_, model.y_std_ = meta["y_mean"], meta["y_std"]
            h = model.hyper
            model._net = build_net(model.kind, model.n_features_, model.n_outputs_, width=h.width, blocks=h.blocks,
                                   dropout=h.dropout)
            model.snapshots_ = []
            for i in range(meta["snapshots"]):
                state = {k.split(".", 1)[1]: v for k, v in tensors.items() if k.split(".", 1)[0] == str(i)}
                model._net.load_state_dict(state)
                model.snapshots_.append(state)
        except (KeyError, TypeError, RuntimeError, ValueError, AttributeError) as exc:
            raise DataError(f"{path.with_suffix('')} is not a readable saved model "
                            f"({type(exc).__name__}: {str(exc).splitlines()[0][:120]})") from None
        return model


def _lr(epoch: int, h: Hyper, cycle: int) -> float:
    if epoch < h.warmup:
        return h.lr * (epoch + 1) / h.warmup
    t = (epoch - h.warmup) % max(cycle, 1)
    return 0.5 * h.lr * (1 + math.cos(math.pi * t / max(cycle, 1)))


def _check_x(x, n_features: int | None = None) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] == 0:
        raise DataError(f"expected a non-empty 2-D matrix, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise DataError("the encoded features hold NaN or infinity")
    if n_features is not None and x.shape[1] != n_features:
        raise DataError(f"the model takes {n_features} encoded features, got {x.shape[1]}")
    return np.ascontiguousarray(x)


def _remember_columns(model, x: np.ndarray, columns) -> np.ndarray:
    model.n_input_ = x.shape[1]
    model.columns_ = None if columns is None else [int(c) for c in columns]
    if model.columns_ is not None:
        if not model.columns_ or min(model.columns_) < 0 or max(model.columns_) >= x.shape[1]:
            raise ParameterError(f"columns must be indices into the {x.shape[1]} columns of x")
        x = x[:, model.columns_]
    return x


def _select_columns(model, x: np.ndarray) -> np.ndarray:
    if x.shape[1] != model.n_input_:
        raise DataError(f"the model takes {model.n_input_} encoded features, got {x.shape[1]}")
    return x if model.columns_ is None else np.ascontiguousarray(x[:, model.columns_])


def _check_xy(x, y):
    x = _check_x(x)
    y = np.asarray(y)
    if y.shape[0] != x.shape[0]:
        raise DataError(f"{y.shape[0]} targets for {x.shape[0]} rows")
    if x.shape[0] < 4:
        raise DataError(f"only {x.shape[0]} training rows; a model needs more")
    return x, y


class SklearnModel:
    """Logistic / ridge regression or gradient boosting, with the same interface."""

    def __init__(self, kind: str, task: str, seed: int = 0):
        self.kind, self.task, self.seed = kind, task, seed

    def fit(self, x, y, columns=None, progress=None):
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        from sklearn.linear_model import LogisticRegression, RidgeCV

        x, y = _check_xy(x, y)
        x = _remember_columns(self, x, columns)
        if self.task == "classification":
            if np.unique(y).size < 2:
                raise DataError("classification needs at least two classes in the training rows")
            self.model = (LogisticRegression(max_iter=2000) if self.kind == "linear"
                          else HistGradientBoostingClassifier(random_state=self.seed))
        else:
            self.model = RidgeCV() if self.kind == "linear" else HistGradientBoostingRegressor(random_state=self.seed)
        self.model.fit(x, y)
        if self.task == "classification":
            self.classes_ = self.model.classes_
        return self

    def predict(self, x):
        return self.model.predict(_select_columns(self, _check_x(x)))

    def predict_proba(self, x):
        return self.model.predict_proba(_select_columns(self, _check_x(x)))


def make_model(kind: str, task: str, seed: int = 0, hyper: Hyper | None = None):
    if kind not in MODEL_KINDS:
        raise ParameterError(f"model {kind!r} is not known; choose from: {', '.join(MODEL_KINDS)}")
    if kind in ("imn", "tabresnet"):
        return NeuralModel(kind, task, hyper, seed)
    return SklearnModel(kind, task, seed)
