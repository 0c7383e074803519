"""Fully connected encoder and decoder (DEC's d-500-500-2000-10 by default)."""

from __future__ import annotations

import torch
from torch import nn


def _stack(sizes: list[int], dropout: float = 0.0) -> list[nn.Module]:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    return layers


class MLPEncoder(nn.Module):
    def __init__(self, in_dim: int, hidden: tuple[int, ...], latent: int, dropout: float = 0.0):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), *_stack([in_dim, *hidden], dropout), nn.Linear(hidden[-1], latent))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class MLPDecoder(nn.Module):
    def __init__(self, latent: int, hidden: tuple[int, ...], shape: tuple[int, int, int]):
        super().__init__()
        sizes = [latent, *reversed(hidden)]
        self.shape = shape
        self.body = nn.Sequential(*_stack(sizes), nn.Linear(sizes[-1], shape[0] * shape[1] * shape[2]))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(z).view(-1, *self.shape)
