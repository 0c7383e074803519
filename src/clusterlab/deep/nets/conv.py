"""Convolutional encoders (plain, residual, with self-attention) and the shared decoder.

The encoder halves the image twice (stride-2 convolutions), runs `depth` blocks of `width`
channels at a quarter of the resolution, and maps the pooled features to the latent code.
Residual blocks carry a skip connection (the ATC seed's "residual autoencoder"); the attention
variant adds one self-attention block over the feature map after them.
"""

from __future__ import annotations

import torch
from torch import nn

from ...layers import FeatureMapAttention


class _Block(nn.Module):
    def __init__(self, width: int, residual: bool, dropout: float):
        super().__init__()
        self.residual = residual
        self.body = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Dropout2d(dropout) if dropout > 0 else nn.Identity(),
            nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width))
        self.act = nn.ReLU()

    def forward(self, x):
        out = self.body(x)
        return self.act(x + out if self.residual else out)


def _reduced(size: int) -> int:
    return (size + 3) // 4  # two stride-2 convolutions with padding 1


class ConvEncoder(nn.Module):
    def __init__(self, shape: tuple[int, int, int], latent: int, depth: int = 4, width: int = 32,
                 residual: bool = True, attention: bool = False, dropout: float = 0.0):
        super().__init__()
        c, h, w = shape
        self.stem = nn.Sequential(
            nn.Conv2d(c, width // 2, 3, stride=2, padding=1), nn.BatchNorm2d(width // 2), nn.ReLU(),
            nn.Conv2d(width // 2, width, 3, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU())
        blocks = [_Block(width, residual, dropout) for _ in range(depth)]
        if attention:
            blocks.append(FeatureMapAttention(width, heads=4 if width % 4 == 0 else 1))
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(width * _reduced(h) * _reduced(w), latent))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.stem(x)))


class ConvDecoder(nn.Module):
    def __init__(self, latent: int, shape: tuple[int, int, int], width: int = 32):
        super().__init__()
        c, h, w = shape
        self.shape, self.width = shape, width
        self.grid = (_reduced(h), _reduced(w))
        self.fc = nn.Sequential(nn.Linear(latent, width * self.grid[0] * self.grid[1]), nn.ReLU())
        self.body = nn.Sequential(
            nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1), nn.BatchNorm2d(width // 2), nn.ReLU(),
            nn.ConvTranspose2d(width // 2, c, 4, stride=2, padding=1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.body(self.fc(z).view(-1, self.width, *self.grid))
        return x[:, :, : self.shape[1], : self.shape[2]]  # odd sizes come back one larger
