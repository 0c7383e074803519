"""`clusterlab assign`: the rows of a new file labelled by the model a run of `auto` saved."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data import Dataset, load
from .model import FittedModel


@dataclass
class Assignment:
    labels: np.ndarray  # -1: nearest to noise
    confidence: np.ndarray
    outlier: np.ndarray  # bool: beyond every cluster's fence (the model's outlier rule), or noise
    model: FittedModel = field(repr=False)
    unseen: dict[str, int] = field(default_factory=dict)  # column -> cells of a category the model never saw
    imputed: int = 0
    seconds: float = 0.0
    dataset: str = ""

    def frame(self):
        import pandas as pd

        return pd.DataFrame({"row": np.arange(self.labels.size), "cluster": self.labels,
                             "confidence": np.round(self.confidence, 4), "outlier": self.outlier.astype(int)})

    def warnings(self) -> list[str]:
        out = []
        if self.unseen:
            listed = ", ".join(f"{c!r} ({n:,})" for c, n in self.unseen.items())
            out.append(f"{sum(self.unseen.values()):,} cells hold a category the model never saw: {listed}; "
                       "those rows were placed by their other columns")
        if self.imputed:
            out.append(f"{self.imputed:,} missing cells were filled with the training rows' values")
        return out

    def describe(self) -> str:
        counts = np.unique(self.labels, return_counts=True)
        sizes = ", ".join(f"{c}: {n:,}" for c, n in zip(*counts))
        return (f"{self.labels.size:,} rows of {self.dataset} assigned by {self.model.algorithm} "
                f"(k = {self.model.k}, rule {self.model.placement.rule}) in {self.seconds:.1f} s; "
                f"{int(self.outlier.sum()):,} outliers; sizes {sizes}")


def assign(model_dir: str | Path, source: str | Path | Dataset, *, label: str | None = None, data_dir=None
           ) -> Assignment:
    """Cluster, confidence and outlier flag for every row of `source` (any input `auto` reads),
    by the model `clusterlab auto` saved in `model_dir`."""
    start = time.perf_counter()
    model = FittedModel.load(model_dir)
    dataset = source if isinstance(source, Dataset) else load(source, label=label, data_dir=data_dir)
    features = None
    if model.steps.kind == "array" and model.steps.backbone is not None:
        rows = model.steps.check_array(dataset)
        if model.steps.encoder:
            features = encoder_codes(model.steps, rows)
        else:
            from ..deep.backbones import features as backbone_features

            features = backbone_features(rows, model.steps.backbone)
    applied = model.steps.apply(dataset, features)
    placed = model.placement.place(applied.data)
    return Assignment(placed.labels, placed.confidence, placed.outlier | (placed.labels < 0), model,
                      applied.unseen, applied.imputed, time.perf_counter() - start, dataset.name)


def encoder_codes(steps, images: np.ndarray) -> np.ndarray:
    """The codes of `images` under the encoder a run trained (saved in its input steps)."""
    import torch

    from ..deep.methods import as_images
    from ..deep.nets import build_autoencoder
    from ..errors import DataError

    spec = steps.encoder
    net = build_autoencoder(spec["net"], tuple(spec["shape"]), int(spec["latent"])).encoder
    weights = {k[8:]: torch.from_numpy(np.ascontiguousarray(v)) for k, v in steps.arrays.items()
               if k.startswith("encoder.")}
    try:
        net.load_state_dict(weights)
    except (RuntimeError, KeyError) as exc:
        raise DataError(f"the saved encoder does not fit its own description: {str(exc).splitlines()[0][:200]}") from None
    data = as_images(images, tuple(spec["shape"]))
    net.eval()
    with torch.no_grad():
        return torch.cat([net(data[i:i + 1024]) for i in range(0, len(data), 1024)]).numpy()
