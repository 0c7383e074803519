"""DEC (Xie et al. 2016) and IDEC (Guo et al. 2017).

After pre-training, the centroids start from k-means on the latent codes; refinement then
minimises KL(P || Q) between the soft assignments Q (Student-t kernel) and the sharpened target
P, recomputed from the whole dataset at the start of every epoch. IDEC keeps the decoder and
adds the reconstruction loss (weight 1, clustering weight `gamma`), so the latent space does
not drift from the data. Refinement stops early once fewer than `tol` of the labels change in
an epoch, as in DEC.
"""

from __future__ import annotations

import torch
from torch import nn

from ...errors import ParameterError
from .ae_kmeans import kmeans_centroids
from .base import DeepClusterer, Phase, epoch_generator, soft_assign, target_distribution


class DEC(DeepClusterer):
    """DEC: pre-train, k-means init, then KL refinement to a sharpened target."""

    name = "dec"
    keeps_reconstruction = False

    def __init__(self, *, refine_epochs: int = 50, refine_lr: float = 1e-4, gamma: float = 0.1, tol: float = 0.001,
                 **base):
        super().__init__(**base)
        if refine_epochs < 0:
            raise ParameterError(f"refine_epochs must be at least 0, got {refine_epochs}")
        self.refine_epochs, self.refine_lr, self.gamma, self.tol = refine_epochs, refine_lr, gamma, tol

    def phases(self) -> list[Phase]:
        return [Phase("pretrain", self.pretrain_epochs), Phase("refine", self.refine_epochs)]

    def start_phase(self, index: int, data: torch.Tensor) -> None:
        if index == 1:
            centroids = kmeans_centroids(self.embed(data), self.n_clusters, self.seed).to(self.device)
            self.extra["centroids"] = nn.Parameter(centroids)
            params = [*self.model.parameters(), self.extra["centroids"]]
            self.optimizer = torch.optim.Adam(params, lr=self.refine_lr)
            self.extra["labels"] = self.predict_tensor(data)
            self.extra["labels"] = torch.from_numpy(self.extra["labels"])

    def finish(self, data: torch.Tensor) -> None:
        if "centroids" not in self.extra:  # refine_epochs = 0: DEC degenerates to AE+KMeans
            self.extra["centroids"] = kmeans_centroids(self.embed(data), self.n_clusters, self.seed).to(self.device)

    def cluster_loss(self, q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return nn.functional.kl_div(q.clamp_min(1e-12).log(), p, reduction="batchmean")

    def train_epoch(self, index: int, epoch: int, data: torch.Tensor) -> dict[str, float]:
        if index == 0:
            return self.reconstruction_epoch(index, epoch, data)
        if self.extra.get("stopped") is not None and bool(self.extra["stopped"]):
            return {"stopped": 1.0}
        centroids = self.extra["centroids"]
        with torch.no_grad():
            p_all = target_distribution(soft_assign(self.embed(data), centroids.detach().cpu()))
        g = epoch_generator(self.seed, index, epoch)
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=g)))
        self.model.train()
        totals = {"cluster": 0.0, "reconstruction": 0.0}
        for b in self.batches(len(data), g):
            x = data[b].to(self.device)
            z, recon = self.model(x)
            q = soft_assign(z, centroids)
            loss_c = self.cluster_loss(q, p_all[b].to(self.device))
            loss = self.gamma * loss_c if self.keeps_reconstruction else loss_c
            if self.keeps_reconstruction:
                loss_r = nn.functional.mse_loss(recon, x)
                loss = loss + loss_r
                totals["reconstruction"] += float(loss_r.detach()) * len(b)
            loss = loss + self.extra_loss(z, q, x, g)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            totals["cluster"] += float(loss_c.detach()) * len(b)
        labels = torch.from_numpy(self.predict_tensor(data))
        changed = float((labels != self.extra["labels"].cpu()).float().mean())
        self.extra["labels"] = labels
        self.epoch_labels = labels.numpy()
        if changed < self.tol:
            self.extra["stopped"] = torch.tensor(1)
        out = {k: v / len(data) for k, v in totals.items() if v or k == "cluster"}
        out["labels_changed"] = changed
        return out

    def extra_loss(self, z: torch.Tensor, q: torch.Tensor, x: torch.Tensor,
                   g: torch.Generator | None = None) -> torch.Tensor:
        """Further terms of subclasses (ATC's entropy and contrastive terms)."""
        return z.new_zeros(())

    def load_tensors(self, tensors):
        super().load_tensors(tensors)
        if "centroids" in self.extra:
            self.extra["centroids"] = nn.Parameter(self.extra["centroids"])
            params = [*self.model.parameters(), self.extra["centroids"]]
            self.optimizer = torch.optim.Adam(params, lr=self.refine_lr)


class IDEC(DEC):
    """IDEC: DEC that keeps reconstructing during refinement (clustering weight gamma)."""

    name = "idec"
    keeps_reconstruction = True
