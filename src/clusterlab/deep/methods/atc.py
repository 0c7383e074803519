"""ATC-Deep-Entropy: a residual convolutional autoencoder pre-trained by reconstruction, then
DEC's KL refinement plus an entropy term that keeps cluster sizes near uniform.

Entropy term (weight `entropy_weight`, 0.1 as published): KL(f || uniform) with f the mean soft
assignment of the batch, zero when every cluster takes an equal share, so no cluster can
swallow the others. Options from the seed's ablations: `contrastive_weight` adds an InfoNCE
term between two views of each image (a random shift of up to two pixels plus Gaussian noise),
and dropout goes in the network (`net_options: {dropout: 0.1}`). `recon_weight` keeps some
reconstruction during refinement (0 as published).
"""

from __future__ import annotations

import torch
from torch import nn

from ..losses import info_nce
from .dec import DEC


class ATCDeepEntropy(DEC):
    """ATC-Deep-Entropy: residual conv AE, then DEC refinement plus a cluster-size entropy term."""

    name = "atc"

    def __init__(self, *, entropy_weight: float = 0.1, contrastive_weight: float = 0.0, recon_weight: float = 0.0,
                 temperature: float = 0.5, **dec):
        dec.setdefault("net", "conv_res")
        super().__init__(**dec)
        self.entropy_weight, self.contrastive_weight = entropy_weight, contrastive_weight
        self.recon_weight, self.temperature = recon_weight, temperature

    def extra_loss(self, z: torch.Tensor, q: torch.Tensor, x: torch.Tensor,
                   g: torch.Generator | None = None) -> torch.Tensor:
        loss = z.new_zeros(())
        if self.entropy_weight:
            f = q.mean(dim=0).clamp_min(1e-12)
            loss = loss + self.entropy_weight * (f * (f * self.n_clusters).log()).sum()
        if self.recon_weight:
            loss = loss + self.recon_weight * nn.functional.mse_loss(self.model.decoder(z), x)
        if self.contrastive_weight:
            z2 = self.model.encode(_view(x, g))
            loss = loss + self.contrastive_weight * info_nce(z, z2, self.temperature)
        return loss


def _view(x: torch.Tensor,
                   g: torch.Generator | None = None) -> torch.Tensor:
    """Another view of a batch: shifted by up to two pixels, with a little noise, drawn from the
    epoch's generator so that a resumed run draws the same views."""
    dx, dy = (int(v) for v in torch.randint(-2, 3, (2,), generator=g))
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3)) + 0.05 * torch.randn(x.shape, generator=g).to(x)
