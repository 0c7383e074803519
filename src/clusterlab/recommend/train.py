"""Training the set recommender, with checkpoints that make a stopped run resumable.

Each epoch ends with an evaluation on the held-out synthetic split (never used to choose
anything but the record) and an atomic checkpoint in the run folder: `weights.safetensors`
(the model), `optimizer.pt` (loaded with weights_only=True), `state.json` (epoch, config,
history). Loss: mean squared error on every algorithm's ARI where it is known, plus cross-
entropy on k.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import DataError, ParameterError
from .examples import SetExamples, split_by_seed


@dataclass
class TrainConfig:
    epochs: int = 30
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 64
    seed: int = 0
    max_k: int = 20
    k_weight: float = 0.3
    test_share: float = 0.1

    def check(self) -> None:
        for name in ("epochs", "batch_size", "max_k"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.test_share < 1:
            raise ParameterError(f"test_share must lie in (0, 1), got {self.test_share}")


def _tensors(ex: SetExamples, idx: np.ndarray, max_k: int):
    import torch

    ari = ex.ari[idx]
    return (torch.from_numpy(ex.rows[idx]), torch.from_numpy(ex.mask[idx]), torch.from_numpy(ex.meta[idx]),
            torch.from_numpy(np.nan_to_num(ari, nan=0.0)), torch.from_numpy(~np.isnan(ari)),
            torch.from_numpy(np.clip(ex.k[idx], 2, max_k) - 2))


def evaluate(model, ex: SetExamples, idx: np.ndarray, max_k: int) -> dict:
    """Mean ARI of the algorithm the model ranks first, against the best in hindsight and the
    best single algorithm of the split; k accuracy; ARI error."""
    import torch

    rows, mask, meta, ari, known, k = _tensors(ex, idx, max_k)
    model.eval()
    with torch.no_grad():
        pred, k_logits = model(rows, mask, meta)
    truth = np.where(known.numpy(), ari.numpy(), np.nan)
    chosen = np.nan_to_num(truth[np.arange(len(idx)), pred.numpy().argmax(axis=1)], nan=0.0)
    best_single = np.nanmean(truth, axis=0)
    err = (pred.numpy() - ari.numpy())[known.numpy()]
    return {"chosen_ari": float(chosen.mean()), "oracle_ari": float(np.nanmax(truth, axis=1).mean()),
            "best_single_ari": float(np.nanmax(best_single)),
            "best_single": ex.algorithms[int(np.nanargmax(best_single))],
            "k_accuracy": float((k_logits.argmax(dim=1) == k).float().mean()),
            "ari_rmse": float(np.sqrt(np.mean(err ** 2))) if err.size else float("nan")}


def _save(run: Path, model, optimizer, state: dict) -> None:
    import torch
    from safetensors.torch import save_file

    run.mkdir(parents=True, exist_ok=True)
    for name, write in (("weights.safetensors", lambda p: save_file(model.state_dict(), str(p))),
                        ("optimizer.pt", lambda p: torch.save(optimizer.state_dict(), p)),
                        ("state.json", lambda p: p.write_text(json.dumps(state, indent=2)))):
        tmp = run / (name + ".tmp")
        write(tmp)
        tmp.replace(run / name)  # atomic: a kill leaves the previous checkpoint whole


def load_weights(model, path: Path) -> None:
    """Weights from a safetensors file, with a clear error when it is corrupt or foreign."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        weights = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise DataError(f"cannot read model weights {path}: {exc}") from None
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise DataError(f"{path} holds weights of another model: {str(exc).splitlines()[0]}") from None


def train(ex: SetExamples, run: str | Path, config: TrainConfig | None = None, resume: bool = False,
          on_epoch: Callable[[dict], None] | None = None) -> dict:
    import torch

    from .nets import SetRecommender

    config = config or TrainConfig()
    config.check()
    run = Path(run)
    torch.manual_seed(config.seed)
    train_idx, test_idx = split_by_seed(ex.seeds, config.test_share)
    if len(train_idx) == 0 or len(test_idx) == 0:
        raise DataError(f"{len(ex)} examples are too few for a train/test split; label more datasets")
    model = SetRecommender(len(ex.algorithms), ex.rows.shape[2], ex.meta.shape[1], config.max_k)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    state = {"epoch": 0, "config": asdict(config), "algorithms": list(ex.algorithms), "history": []}
    if resume:
        if not (run / "state.json").exists():
            raise DataError(f"nothing to resume in {run}: no state.json")
        try:
            state = json.loads((run / "state.json").read_text())
        except json.JSONDecodeError as exc:
            raise DataError(f"{run / 'state.json'} is corrupt: {exc}") from None
        if state.get("algorithms") != list(ex.algorithms):
            raise DataError(f"{run} was trained on other algorithms; start a new run folder")
        load_weights(model, run / "weights.safetensors")
        try:
            optimizer.load_state_dict(torch.load(run / "optimizer.pt", weights_only=True))
        except Exception as exc:  # a corrupt optimizer file: say so, in one line
            raise DataError(f"cannot read {run / 'optimizer.pt'}: {str(exc).splitlines()[0]}") from None
    rows, mask, meta, ari, known, k = _tensors(ex, train_idx, config.max_k)
    for epoch in range(state["epoch"], config.epochs):
        model.train()
        order = torch.from_numpy(np.random.default_rng(config.seed + epoch).permutation(len(train_idx)))
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            b = order[start: start + config.batch_size]
            pred, k_logits = model(rows[b], mask[b], meta[b])
            loss_ari = ((pred - ari[b]) ** 2 * known[b]).sum() / known[b].sum().clamp(min=1)
            loss = loss_ari + config.k_weight * torch.nn.functional.cross_entropy(k_logits, k[b])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss) * len(b)
        record = {"epoch": epoch + 1, "train_loss": total / len(order), **evaluate(model, ex, test_idx, config.max_k)}
        state["epoch"] = epoch + 1
        state["history"].append(record)
        _save(run, model, optimizer, state)
        if on_epoch:
            on_epoch(record)
    final = state["history"][-1] if state["history"] else {}
    return {"run": str(run), "train": int(len(train_idx)), "test": int(len(test_idx)), **final,
            "finite": all(math.isfinite(v) for v in final.values() if isinstance(v, float))}
