"""TabResNet and the Interpretable Mesomorphic Network (Kadra, Pineda Arango, Grabocka, NeurIPS 2024).

TabResNet: linear -> batch norm -> GELU -> dropout, then residual blocks (batch norm, linear,
GELU, dropout, linear, plus the input). Its head predicts directly.
IMN: the same backbone, but its head emits, for each row, the weights of a linear model over
that row's own features (plus a bias): prediction = sum_j w_j(x) x_j + b(x). Those weights are
the explanation: the importance of feature j for a row is w_j(x) x_j.
"""

from __future__ import annotations

import torch
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, width: int, dropout: float):
        super().__init__()
        self.body = nn.Sequential(nn.BatchNorm1d(width), nn.Linear(width, width), nn.GELU(), nn.Dropout(dropout),
                                  nn.Linear(width, width))

    def forward(self, x):
        return x + self.body(x)


class Backbone(nn.Module):
    def __init__(self, n_features: int, width: int = 128, blocks: int = 2, dropout: float = 0.1):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(n_features, width), nn.BatchNorm1d(width), nn.GELU(), nn.Dropout(dropout))
        self.blocks = nn.Sequential(*[ResidualBlock(width, dropout) for _ in range(blocks)])
        self.out = nn.Sequential(nn.BatchNorm1d(width), nn.GELU())

    def forward(self, x):
        return self.out(self.blocks(self.stem(x)))


class TabResNet(nn.Module):
    def __init__(self, n_features: int, n_outputs: int, width: int = 128, blocks: int = 2, dropout: float = 0.1):
        super().__init__()
        self.backbone = Backbone(n_features, width, blocks, dropout)
        self.head = nn.Linear(width, n_outputs)

    def forward(self, x):
        return self.head(self.backbone(x)), None


class IMN(nn.Module):
    """forward returns (outputs, weights): weights has shape (rows, outputs, features + 1), the
    last entry of each row of weights being the bias."""

    def __init__(self, n_features: int, n_outputs: int, width: int = 128, blocks: int = 2, dropout: float = 0.1):
        super().__init__()
        self.n_features, self.n_outputs = n_features, n_outputs
        self.backbone = Backbone(n_features, width, blocks, dropout)
        self.head = nn.Linear(width, n_outputs * (n_features + 1))

    def forward(self, x):
        w = self.head(self.backbone(x)).view(-1, self.n_outputs, self.n_features + 1)
        out = (w[:, :, :-1] * x[:, None, :]).sum(dim=2) + w[:, :, -1]
        return out, w


NETS = {"imn": IMN, "tabresnet": TabResNet}


def build_net(kind: str, n_features: int, n_outputs: int, **hyper) -> nn.Module:
    return NETS[kind](n_features, n_outputs, **hyper)


def contributions(weights: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Per-row, per-output contribution w_j(x) x_j of each feature: (rows, outputs, features)."""
    return weights[:, :, :-1] * x[:, None, :]
