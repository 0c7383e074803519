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
