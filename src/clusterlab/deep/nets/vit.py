"""A small vision transformer encoder: patches, a class token, a few transformer layers."""

from __future__ import annotations

import torch
from torch import nn


class ViTEncoder(nn.Module):
    def __init__(self, shape: tuple[int, int, int], latent: int, patch: int = 4, dim: int = 64, depth: int = 4,
                 heads: int = 4, dropout: float = 0.0):
        super().__init__()
        c, h, w = shape
        self.patchify = nn.Conv2d(c, dim, patch, stride=patch)
        n_patches = (h // patch) * (w // patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, n_patches + 1, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, dim * 2, dropout, batch_first=True, norm_first=True)
        self.body = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, latent)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.patchify(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls.expand(x.shape[0], -1, -1), tokens], dim=1) + self.pos
        return self.head(self.norm(self.body(tokens)[:, 0]))
