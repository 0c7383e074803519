"""Saved networks: tensors in safetensors files, everything else in JSON, never pickle, so a
file from elsewhere cannot run code. Every reader turns a missing, corrupt or foreign file into
one `DataError` that names the file. Imports torch only when called."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import DataError
from .files import write_atomic


def save_tensors(path: str | Path, tensors: dict, metadata: dict[str, str] | None = None, numpy: bool = False
                 ) -> Path:
    """Tensors (NumPy arrays where `numpy`, without importing torch) to a safetensors file."""
    if numpy:
        import numpy as np
        from safetensors.numpy import save_file

        tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    else:
        from safetensors.torch import save_file

        tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    return write_atomic(path, lambda p: save_file(tensors, str(p), metadata=metadata))


def load_tensors(path: str | Path, what: str = "model weights", numpy: bool = False) -> dict:
    """The tensors of a safetensors file (NumPy arrays where `numpy`, without importing torch)."""
    from safetensors import SafetensorError

    if numpy:
        from safetensors.numpy import load_file
    else:
        from safetensors.torch import load_file
    path = Path(path)
    if not path.is_file():
        raise DataError(f"cannot read {what}: {path} is missing")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise DataError(f"cannot read {what} {path}: it is corrupt or not a safetensors file "
                        f"({_first_line(exc)})") from None


def load_into(module, tensors: dict, path: str | Path) -> None:
    """`module.load_state_dict(tensors)`, refusing weights of another shape or set of names."""
    try:
        module.load_state_dict(tensors)
    except (RuntimeError, KeyError, ValueError) as exc:
        raise DataError(f"{path} holds weights of another model: {_first_line(exc)}") from None


def read_json(path: str | Path, what: str = "state") -> dict:
    """A JSON object from `path`; a missing, unreadable or non-object file is a DataError."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"cannot read the {what}: {path} is missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise DataError(f"{path} is corrupt ({_first_line(exc)}); the {what} cannot be read") from None
    if not isinstance(data, dict):
        raise DataError(f"{path} holds a {type(data).__name__}, not the {what} (a JSON object)")
    return data


def save_optimizer(path: str | Path, optimizer) -> Path:
    """An optimizer's state dict as one safetensors file: its tensors as tensors, its
    parameter groups and plain numbers as JSON in the file's metadata."""
    import torch

    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for pid, entry in state["state"].items():
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{pid}.{key}"] = value
            else:
                scalars.setdefault(str(pid), {})[key] = value
    meta = {"param_groups": json.dumps(state["param_groups"]), "scalars": json.dumps(scalars)}
    return save_tensors(path, tensors, meta)


def load_optimizer(path: str | Path, optimizer) -> None:
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    tensors = load_tensors(path, "optimizer state")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        groups = json.loads(meta["param_groups"])
        scalars = json.loads(meta.get("scalars", "{}"))
        state: dict = {}
        for name, value in tensors.items():
            pid, key = name.split(".", 1)
            state.setdefault(int(pid), {})[key] = value
        for pid, entry in scalars.items():
            state.setdefault(int(pid), {}).update(entry)
        optimizer.load_state_dict({"state": state, "param_groups": groups})
    except (SafetensorError, KeyError, ValueError, TypeError, AttributeError, RuntimeError,
            json.JSONDecodeError) as exc:
        raise DataError(f"{path} is not the optimizer state of this model ({_first_line(exc)})") from None


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
