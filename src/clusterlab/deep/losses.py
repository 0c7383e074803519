"""Contrastive losses between two views of a batch, shared by the methods that use them."""

from __future__ import annotations

import torch
from torch import nn


def info_nce(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """InfoNCE across views: each row of `a` against every row of `b`, its own view the positive."""
    a, b = nn.functional.normalize(a, dim=1), nn.functional.normalize(b, dim=1)
    logits = a @ b.T / temperature
    target = torch.arange(len(a), device=a.device)
    return (nn.functional.cross_entropy(logits, target) + nn.functional.cross_entropy(logits.T, target)) / 2


def nt_xent(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's NT-Xent: each of the 2n views against the 2n - 1 others, its twin the positive, so
    the other images' views in both halves are negatives (twice as many as in `info_nce`)."""
    h = nn.functional.normalize(torch.cat([a, b]), dim=1)
    logits = h @ h.T / temperature
    logits = logits.masked_fill(torch.eye(len(h), dtype=torch.bool, device=h.device), float("-inf"))
    n = len(a)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(n)]).to(h.device)
    return nn.functional.cross_entropy(logits, target)
