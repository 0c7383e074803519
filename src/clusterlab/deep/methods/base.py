"""What every deep clustering method shares: the autoencoder, training phases, soft cluster
assignments, and the `fit` / `predict` / `transform` interface.

A method is trained in phases (pre-training, refinement), each a number of epochs, by `train`,
which calls back after every epoch; a runner (the session runner, `deep.session`) uses that
callback to log and checkpoint, and resumes by passing the saved state back in. A method knows
no runner. Every random step of an epoch draws from a generator seeded by (seed, phase, epoch),
so a resumed run retraces exactly the run that was not interrupted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from ...errors import DataError, ParameterError
from ..nets import build_autoencoder


@dataclass(frozen=True)
class Phase:
    name: str
    epochs: int


def epoch_generator(seed: int, phase: int, epoch: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(seed * 1_000_003 + phase * 10_007 + epoch)
    return g


def soft_assign(z: torch.Tensor, centroids: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """DEC's Student-t kernel: q_ij, the probability that point i belongs to cluster j."""
    d2 = torch.cdist(z, centroids).pow(2)
    q = (1.0 + d2 / alpha).pow(-(alpha + 1.0) / 2.0)
    return q / q.sum(dim=1, keepdim=True)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """DEC's sharpened target: p_ij proportional to q_ij^2 / f_j, f_j the soft cluster size."""
    w = q.pow(2) / q.sum(dim=0)
    return w / w.sum(dim=1, keepdim=True)


class DeepClusterer:
    """Base class. Subclasses set `name`, list their `phases`, and train one epoch at a time."""

    name = "base"

    def __init__(self, n_clusters: int = 10, net: str = "conv_res", net_options: dict | None = None,
                 latent: int = 10, pretrain_epochs: int = 50, lr: float = 1e-3, batch_size: int = 256,
                 weight_decay: float = 0.0, augment: str = "none", seed: int = 0, device: str = "cpu"):
        if n_clusters < 2:
            raise ParameterError(f"n_clusters must be at least 2, got {n_clusters}")
        for name, value in (("pretrain_epochs", pretrain_epochs), ("batch_size", batch_size)):
            if value < 0 or (name == "batch_size" and value < 1):
                raise ParameterError(f"{name} must be positive, got {value}")
        if device not in ("cpu", "cuda") and not str(device).startswith("cuda:"):
            raise ParameterError(f"device must be cpu or cuda, got {device!r}")
        if str(device).startswith("cuda") and not torch.cuda.is_available():
            raise ParameterError("device cuda was asked for, but no CUDA GPU is available here; use --device cpu")
        if augment not in AUGMENTS:
            raise ParameterError(f"augment {augment!r} is not allowed; choose one of: {', '.join(AUGMENTS)}")
        self.augment = augment
        self.n_clusters, self.net, self.net_options, self.latent = n_clusters, net, dict(net_options or {}), latent
        self.pretrain_epochs, self.lr, self.batch_size = pretrain_epochs, lr, batch_size
        self.weight_decay, self.seed, self.device = weight_decay, seed, torch.device(device)
        self.model: nn.Module | None = None
        self.optimizer = None
        self.extra: dict[str, torch.Tensor] = {}  # tensors beside the network that a checkpoint keeps
        self.epoch_labels: np.ndarray | None = None  # labels of the data a training epoch already computed
        # A sample of features a runner may show (TensorBoard's projector): rows, features, k, tag.
        self.embedding_log: dict | None = None

    # ---- set-up -------------------------------------------------------------------------------
    def build(self, shape: tuple[int, int, int]) -> None:
        torch.manual_seed(self.seed)
        self.shape = tuple(int(s) for s in shape)
        self.model = build_autoencoder(self.net, self.shape, self.latent, **self.net_options).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)

    def phases(self) -> list[Phase]:
        return [Phase("pretrain", self.pretrain_epochs)]

    def start_phase(self, index: int, data: torch.Tensor) -> None:
        """Called once before a phase's first epoch (not again on resume)."""

    def finish(self, data: torch.Tensor) -> None:
        """Called after the last phase, and after loading a finished checkpoint."""

    # ---- training ---------------------------------------------------------------------------------
    def train(self, data: torch.Tensor, state: dict | None = None,
              after_epoch: Callable[[dict], None] | None = None) -> dict:
        """Every phase's epochs from where `state` stands (phase, epoch, history; a fresh state
        when None), then `finish`. `state` is updated in place before each call of
        `after_epoch(record)`, so a runner that saves it there can resume from it."""
        state = state if state is not None else {"phase": 0, "epoch": 0, "history": []}
        for index, phase in enumerate(self.phases()):
            if index < state["phase"] or phase.epochs == 0:
                continue
            first = state["epoch"] if index == state["phase"] else 0
            if first == 0:
                self.start_phase(index, data)
            for epoch in range(first, phase.epochs):
                start = time.perf_counter()
                self.epoch_labels = None
                record = {"phase": phase.name, "epoch": epoch + 1, **self.train_epoch(index, epoch, data)}
                record["seconds"] = time.perf_counter() - start
                state.update(phase=index, epoch=epoch + 1)
                state["step"] = state.get("step", 0) + 1
                record["step"] = state["step"]
                state["history"].append(record)
                if after_epoch is not None:
                    after_epoch(record)
            state.update(phase=index + 1, epoch=0)
        start = time.perf_counter()
        self.finish(data)  # part of training: N2D fits its projection, mixture and self-labelling here
        state["finish_seconds"] = time.perf_counter() - start
        state["finished"] = True
        return state

    def current_labels(self, data: torch.Tensor) -> np.ndarray | None:
        """This epoch's labels: those the method computed while training, else a prediction
        once it has centroids, else None (during pre-training)."""
        if self.epoch_labels is not None:
            return self.epoch_labels
        return self.predict_tensor(data) if "centroids" in self.extra else None

    def evaluate(self, train: torch.Tensor, train_truth, test: torch.Tensor, test_truth) -> dict:
        """Scores and facts a method reports beyond ACC / NMI / ARI (none by default); a runner
        adds them to the run's result. `test is train` when one set is both."""
        return {}

    # ---- one epoch ----------------------------------------------------------------------------
    def train_epoch(self, index: int, epoch: int, data: torch.Tensor) -> dict[str, float]:
        return self.reconstruction_epoch(index, epoch, data)

    def batches(self, n: int, g: torch.Generator, size: int | None = None):
        size = size or self.batch_size
        order = torch.randperm(n, generator=g)
        for start in range(0, n, size):
            yield order[start: start + size]

    def reconstruction_epoch(self, index: int, epoch: int, data: torch.Tensor) -> dict[str, float]:
        g = epoch_generator(self.seed, index, epoch)
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=g)))  # dropout, from the same seed
        self.model.train()
        total = 0.0
        for b in self.batches(len(data), g):
            x = data[b].to(self.device)
            seen = jitter(x, g) if self.augment == "affine" else x
            _, recon = self.model(seen)
            loss = nn.functional.mse_loss(recon, x)  # the clean image back from a moved one: codes that ignore the move
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total += float(loss.detach()) * len(b)
        return {"reconstruction": total / len(data)}

    # ---- inference ----------------------------------------------------------------------------
    @torch.no_grad()
    def embed(self, data: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        self.model.eval()
        parts = [self.model.encode(data[i: i + batch_size].to(self.device)).cpu()
                 for i in range(0, len(data), batch_size)]
        return torch.cat(parts)

    def predict_tensor(self, data: torch.Tensor) -> np.ndarray:
        q = soft_assign(self.embed(data), self.extra["centroids"].detach().cpu())
        return q.argmax(dim=1).numpy()

    # ---- the estimator interface ----------------------------------------------------------------
    def fit(self, x) -> "DeepClusterer":
        data = as_images(x)
        self.build(tuple(data.shape[1:]))
        self.train(data)
        return self

    def predict(self, x) -> np.ndarray:
        self._check_fitted()
        return self.predict_tensor(as_images(x, self.shape))

    def fit_predict(self, x) -> np.ndarray:
        return self.fit(x).predict(x)

    def transform(self, x) -> np.ndarray:
        self._check_fitted()
        return self.embed(as_images(x, self.shape)).numpy()

    def _check_fitted(self) -> None:
        if self.model is None:
            raise DataError(f"{self.name} is not fitted yet; call fit first")

    # ---- checkpoints --------------------------------------------------------------------------
    def tensors(self) -> dict[str, torch.Tensor]:
        out = {f"model.{k}": v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        out.update({f"extra.{k}": v.detach().cpu().contiguous() for k, v in self.extra.items()})
        return out

    def load_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        model = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
        self.model.load_state_dict(model)
        self.extra = {k[6:]: v.to(self.device) for k, v in tensors.items() if k.startswith("extra.")}


AUGMENTS = ("none", "affine")


def jitter(x: torch.Tensor, g: torch.Generator, shift: float = 2.0, degrees: float = 10.0) -> torch.Tensor:
    """Each image moved by up to `shift` pixels and turned by up to `degrees`, drawn from `g`."""
    n, _, h, w = x.shape
    angle = (torch.rand(n, generator=g) * 2 - 1) * degrees * torch.pi / 180
    tx = (torch.rand(n, generator=g) * 2 - 1) * shift * 2 / w
    ty = (torch.rand(n, generator=g) * 2 - 1) * shift * 2 / h
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1).to(x)
    grid = nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    return nn.functional.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


def as_images(x, shape: tuple[int, int, int] | None = None) -> torch.Tensor:
    """Images as float32 (n, C, H, W) in [0, 1]: from (n, H, W), (n, H, W, C) or (n, C, H, W)
    arrays, 8-bit or float; flat (n, d) rows are taken as given when `shape` says how."""
    a = np.asarray(x)
    if a.size == 0 or a.shape[0] < 2:
        raise DataError(f"deep clustering needs at least 2 images, got an array of shape {a.shape}")
    if not np.issubdtype(a.dtype, np.number):
        raise DataError(f"images must be numbers, got dtype {a.dtype}")
    a = a.astype(np.float32) / (255.0 if a.dtype == np.uint8 else 1.0)
    if not np.isfinite(a).all():
        raise DataError("the images hold NaN or infinite values")
    if a.ndim == 2 and shape is not None and a.shape[1] == int(np.prod(shape)):
        a = a.reshape(-1, *shape)
    elif a.ndim == 3:
        a = a[:, None]
    elif a.ndim == 4 and a.shape[-1] in (1, 3, 4) and a.shape[1] not in (1, 3, 4):
        a = a.transpose(0, 3, 1, 2)
    elif a.ndim != 4:
        raise DataError(f"expected images as (n, H, W), (n, H, W, C) or (n, C, H, W); got shape {a.shape}")
    if shape is not None and tuple(a.shape[1:]) != tuple(shape):
        raise DataError(f"the model was trained on images of shape {tuple(shape)}, got {tuple(a.shape[1:])}")
    return torch.from_numpy(np.ascontiguousarray(a))
