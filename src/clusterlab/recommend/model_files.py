"""A recommender run folder on disk, read without the training code: `state.json` (what the
model is: its name, encoding and algorithm list, and its training record) and the weights in
safetensors. Readers give one clear error for a missing, corrupt or foreign folder."""

from __future__ import annotations

from pathlib import Path

from ..checkpoints import load_into, load_tensors, read_json
from ..errors import DataError


def read_state(run: str | Path) -> dict:
    path = Path(run) / "state.json"
    if not path.exists():
        raise DataError(f"no model in {run}: state.json is missing")
    state = read_json(path, "recommender description")
    if not isinstance(state.get("model"), dict):
        raise DataError(f"{path} does not describe a clusterlab recommender")
    return state


def load_weights(model, path: str | Path) -> None:
    tensors = load_tensors(path, "model weights")
    if not all(bool(t.isfinite().all()) for t in tensors.values() if t.is_floating_point()):
        raise DataError(f"{path} holds NaN or infinite weights; the model cannot rank anything: retrain it")
    load_into(model, tensors, path)
