"""Batched image augmentation on the images' own device (no per-sample Python): AND's random
resized crop (area 0.2-1), horizontal flip, colour jitter (0.4) and random grayscale (0.2)."""

from __future__ import annotations

import torch
from torch import nn


def random_resized_crop(x: torch.Tensor, g: torch.Generator, scale=(0.2, 1.0), ratio=(3 / 4, 4 / 3)) -> torch.Tensor:
    n = x.shape[0]
    area = torch.empty(n).uniform_(*scale, generator=g)
    log_r = torch.empty(n).uniform_(torch.log(torch.tensor(ratio[0])).item(), torch.log(torch.tensor(ratio[1])).item(),
                                    generator=g)
    r = torch.exp(log_r)
    sw, sh = torch.sqrt(area * r).clamp(max=1.0), torch.sqrt(area / r).clamp(max=1.0)
    tx = (torch.rand(n, generator=g) * 2 - 1) * (1 - sw)
    ty = (torch.rand(n, generator=g) * 2 - 1) * (1 - sh)
    flip = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    zero = torch.zeros(n)
    theta = torch.stack([torch.stack([sw * flip, zero, tx], 1), torch.stack([zero, sh, ty], 1)], 1).to(x)
    grid = nn.functional.affine_grid(theta, list(x.shape), align_corners=False)
    return nn.functional.grid_sample(x, grid, align_corners=False, padding_mode="reflection")


def colour_jitter(x: torch.Tensor, g: torch.Generator, strength: float = 0.4, grey: float = 0.2) -> torch.Tensor:
    n = x.shape[0]

    def factor():
        return (1 + (torch.rand(n, generator=g) * 2 - 1) * strength).view(n, 1, 1, 1).to(x)

    x = x * factor()  # brightness
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * factor() + mean  # contrast
    if x.shape[1] == 3:
        lum = (0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
        x = (x - lum) * factor() + lum  # saturation
        to_grey = (torch.rand(n, generator=g) < grey).view(n, 1, 1, 1).to(x.device)
        x = torch.where(to_grey, lum.expand_as(x), x)
    return x.clamp(0, 1)


def and_augment(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    return colour_jitter(random_resized_crop(x, g), g)


def contrastive_view(x: torch.Tensor, g: torch.Generator, zoom: float = 0.2, degrees: float = 15.0,
                     shift: float = 0.1, gain: float = 0.4, drop: float = 0.1) -> torch.Tensor:
    """A random view of each image for contrastive pre-training: zoomed by up to `zoom`, turned by
    up to `degrees`, moved by up to `shift` of its size, mirrored half the time, its brightness
    scaled by up to `gain`, and a `drop` share of its pixels set to zero. Measured on
    Fashion-MNIST with N2D (see methods/n2d.py); the seed of every draw comes from `g`."""
    n = x.shape[0]

    def uniform(half_width: float) -> torch.Tensor:
        return (torch.rand(n, generator=g) * 2 - 1) * half_width

    scale = 1 + uniform(zoom)
    angle = uniform(degrees * torch.pi / 180)
    tx, ty = uniform(2 * shift), uniform(2 * shift)  # affine_grid spans [-1, 1]: twice the size
    flip = torch.where(torch.rand(n, generator=g) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1).to(x)
    out = nn.functional.grid_sample(x, nn.functional.affine_grid(theta, list(x.shape), align_corners=False),
                                    align_corners=False)
    out = (out * (1 + uniform(gain)).view(n, 1, 1, 1).to(x)).clamp(0, 1)
    return out * (torch.rand(x.shape, generator=g) >= drop).to(x)
