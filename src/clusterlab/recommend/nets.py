"""Recommender networks.

ClustRecNet and its ablations read the 2,000 x 50 grid (`encoders.clustrecnet_grid`) and emit,
per algorithm, the logit of "its ARI exceeds 0.8" (binary cross-entropy). The variants share one
body, switched by three flags: a convolutional stage, residual blocks, self-attention.

`SetRecommender` is clusterlab's design: a set encoder over canonical rows
(`encoders.canonical_set`), so its output cannot depend on row or column order. Each row goes
through the same MLP, an attention pooling with learned seed queries summarises the set
(masked rows ignored), and two heads read the summary with the order-free meta-features: one
regresses every algorithm's ARI, one gives a distribution over k.
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import ParameterError
from ..layers import FeatureMapAttention
from .model_names import CLUSTRECNET_ALGORITHMS, MODEL_NAMES, VARIANTS, input_kind

class _ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(x + self.body(x))


class ClustRecNet(nn.Module):
    """The published architecture family, about 84k parameters with every part switched on."""

    def __init__(self, n_outputs: int = 10, variant: str = "cnnresatt", channels: int = 39):
        super().__init__()
        if variant not in VARIANTS:
            raise ParameterError(f"variant={variant!r} is not allowed; choose one of: {', '.join(VARIANTS)}")
        flags = VARIANTS[variant]
        self.variant = variant
        # Rows are many and columns few: shrink the rows fast, keep the columns.
        stem = [nn.Conv2d(1, 16, (7, 3), stride=(4, 1), padding=(3, 1)), nn.BatchNorm2d(16), nn.ReLU(),
                nn.MaxPool2d((4, 2))]
        if flags["cnn"]:
            stem += [nn.Conv2d(16, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
                     nn.MaxPool2d((5, 1)),
                     nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
                     nn.MaxPool2d((5, 5))]
        else:
            stem += [nn.Conv2d(16, channels, 1), nn.AdaptiveAvgPool2d((5, 5))]
        self.stem = nn.Sequential(*stem)
        self.res = nn.Sequential(_ResidualBlock(channels), _ResidualBlock(channels)) if flags["res"] else nn.Identity()
        self.att = FeatureMapAttention(channels) if flags["att"] else nn.Identity()
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 64), nn.ReLU(),
                                  nn.Linear(64, n_outputs))

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        return self.head(self.att(self.res(self.stem(grid))))


class SetRecommender(nn.Module):
    def __init__(self, n_algorithms: int, n_features: int = 16, n_meta: int = 18, max_k: int = 20,
                 width: int = 64, seeds: int = 4):
        super().__init__()
        self.max_k = max_k
        self.phi = nn.Sequential(nn.Linear(n_features, width), nn.GELU(), nn.Linear(width, width), nn.GELU(),
                                 nn.Linear(width, width))
        self.queries = nn.Parameter(torch.randn(seeds, width) * 0.1)
        self.pool = nn.MultiheadAttention(width, num_heads=4, batch_first=True)
        summary = seeds * width + n_meta
        self.trunk = nn.Sequential(nn.Linear(summary, 128), nn.GELU(), nn.Linear(128, 128), nn.GELU())
        self.ari_head = nn.Linear(128, n_algorithms)
        self.k_head = nn.Linear(128, max_k - 1)  # k = 2..max_k
        # Meta-features live on very different scales; training sets these from its split.
        self.register_buffer("meta_mean", torch.zeros(n_meta))
        self.register_buffer("meta_std", torch.ones(n_meta))

    def set_meta_scale(self, meta: torch.Tensor) -> None:
        self.meta_mean.copy_(meta.mean(dim=0))
        self.meta_std.copy_(meta.std(dim=0).clamp(min=1e-3))

    def forward(self, rows: torch.Tensor, mask: torch.Tensor, meta: torch.Tensor):
        h = self.phi(rows)
        q = self.queries.unsqueeze(0).expand(rows.shape[0], -1, -1)
        pooled, _ = self.pool(q, h, h, key_padding_mask=~mask, need_weights=False)
        meta = ((meta - self.meta_mean) / self.meta_std).clamp(-10, 10)
        z = self.trunk(torch.cat([pooled.flatten(1), meta], dim=1))
        return torch.tanh(self.ari_head(z)), self.k_head(z)  # ARI lies in [-1, 1]


def build_model(model_name: str, n_algorithms: int, *, n_features: int = 16, n_meta: int = 18,
                max_k: int = 20) -> nn.Module:
    if input_kind(model_name) == "set":
        return SetRecommender(n_algorithms, n_features, n_meta, max_k)
    return ClustRecNet(n_algorithms, model_name)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = ["CLUSTRECNET_ALGORITHMS", "MODEL_NAMES", "VARIANTS", "ClustRecNet", "SetRecommender", "build_model",
           "input_kind", "parameter_count"]
