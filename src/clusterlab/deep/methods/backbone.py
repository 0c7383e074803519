"""A frozen pretrained backbone (`deep.backbones`), then a clusterer on its features: the
SCAN-style head of `deep.head` (the default), or k-means, a Gaussian mixture or spectral
clustering as the baselines beside it. The same head the main job runs on images, here as a
session method, so it gets the runner's config, checkpoints, resume, TensorBoard and seeds.

Only the head is trained; the features come from the backbone's on-disk cache after the first
run over the same images, so a resumed run does not pay for them again. The head's phases are
the SCAN epochs (all heads side by side) and the self-labelling epochs (the head of lowest SCAN
loss); every epoch draws from a generator of (seed, phase, epoch), so a resumed run retraces
the uninterrupted one. A baseline is one step: its fit on the features."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...errors import ParameterError
from ..backbones import DEFAULT_BACKBONE, features, get_backbone
from ..head import best_head, check_head_options, head_inputs, mine_neighbours, scan_epoch, self_label_epoch
from .base import DeepClusterer, Phase

CLUSTERERS = ("head", "kmeans", "mixture", "spectral")


class BackboneClusterer(DeepClusterer):
    """Pretrained features, frozen, then a clustering head (or a classic clusterer)."""

    name = "backbone"

    # the backbone is frozen and shipped, so the base class's network options are not its own
    def __init__(self, *, backbone: str = DEFAULT_BACKBONE, clusterer: str = "head", n_neighbors: int = 20,
                 entropy_weight: float = 5.0, head_epochs: int = 60, self_label_epochs: int = 20,
                 threshold: float = 0.99, n_heads: int = 5, lr: float = 1e-3, batch_size: int = 256,
                 n_clusters: int = 10, seed: int = 0, device: str = "cpu"):
        super().__init__(n_clusters=n_clusters, lr=lr, batch_size=batch_size, seed=seed, device=device)
        self.spec = get_backbone(backbone)
        if clusterer not in CLUSTERERS:
            raise ParameterError(f"clusterer {clusterer!r} is not allowed; choose one of: {', '.join(CLUSTERERS)}")
        check_head_options(n_neighbors, n_heads, head_epochs, self_label_epochs, threshold, "head_epochs")
        self.clusterer, self.n_neighbors, self.entropy_weight = clusterer, n_neighbors, entropy_weight
        self.head_epochs, self.self_label_epochs, self.threshold, self.n_heads = (head_epochs, self_label_epochs,
                                                                                  threshold, n_heads)
        self._seen: tuple | None = None  # (the images last read, their head inputs, their neighbours)
        self._phase = 0  # the phase of the epoch last trained, whose labels a runner asks for

    def build(self, shape: tuple[int, int, int]) -> None:
        torch.manual_seed(self.seed)
        self.shape = tuple(int(s) for s in shape)
        d, k = self.spec.dims, self.n_clusters
        self.model = nn.ModuleDict({"heads": nn.Linear(d, k * self.n_heads), "head": nn.Linear(d, k)}).to(self.device)
        self.optimizer = (torch.optim.Adam(self.model.parameters(), lr=self.lr, weight_decay=1e-4)
                          if self.clusterer == "head" else None)

    def phases(self) -> list[Phase]:
        if self.clusterer == "head":
            return [Phase("scan", self.head_epochs), Phase("selflabel", self.self_label_epochs)]
        return [Phase("fit", 1)]

    # ---- features ---------------------------------------------------------------------------
    def _features(self, data: torch.Tensor) -> np.ndarray:
        images = data.permute(0, 2, 3, 1).cpu().numpy()  # the backbone reads (n, H, W, C) in [0, 1]
        return features(images, self.spec.name, device=str(self.device))

    def _inputs_of(self, data: torch.Tensor, neighbours: bool = False):
        # the images themselves are held, not their address, which a freed tensor could pass on to another
        if self._seen is None or self._seen[0] is not data:
            self._seen = (data, torch.from_numpy(head_inputs(self._features(data))).to(self.device), None)
        if neighbours and self._seen[2] is None:
            mined = torch.from_numpy(mine_neighbours(self._seen[1].cpu().numpy(), self.n_neighbors))
            self._seen = (*self._seen[:2], mined)
        return self._seen[1], self._seen[2]

    @torch.no_grad()
    def embed(self, data: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
        return torch.from_numpy(head_inputs(self._features(data)))

    # ---- training ---------------------------------------------------------------------------
    def start_phase(self, index: int, data: torch.Tensor) -> None:
        if self.clusterer == "head" and index == 1:
            self._take_best_head()

    def _take_best_head(self) -> None:
        best = best_head(self.model["heads"], self.extra["scan_losses"].cpu(), self.n_clusters)
        with torch.no_grad():
            self.model["head"].load_state_dict(best.state_dict())

    def train_epoch(self, index: int, epoch: int, data: torch.Tensor) -> dict[str, float]:
        if self.clusterer != "head":
            return self._fit_baseline(data)
        self._phase = index
        rng = np.random.default_rng([self.seed, index, epoch])
        torch.manual_seed(int(rng.integers(2**31 - 1)))  # self-labelling's dropout, from the same seed
        x, neighbours = self._inputs_of(data, neighbours=index == 0)
        if index == 0:
            losses = scan_epoch(self.model["heads"], self.optimizer, x, neighbours, rng, n_heads=self.n_heads,
                                n_clusters=self.n_clusters, entropy_weight=self.entropy_weight,
                                batch_size=self.batch_size)
            self.extra["scan_losses"] = losses.to(self.device)
            return {"scan_loss": float(losses.min())}
        share, _ = self_label_epoch(self.model["head"], self.optimizer, x, rng, n_clusters=self.n_clusters,
                                    threshold=self.threshold, batch_size=self.batch_size)
        return {"confident_share": share}

    def finish(self, data: torch.Tensor) -> None:
        if self.clusterer == "head" and self.self_label_epochs == 0:
            self._take_best_head()

    def _fit_baseline(self, data: torch.Tensor) -> dict[str, float]:
        from sklearn.cluster import KMeans, SpectralClustering
        from sklearn.mixture import GaussianMixture

        x = self._inputs_of(data)[0].cpu().numpy()
        k = self.n_clusters
        if self.clusterer == "kmeans":
            labels = KMeans(k, n_init=10, random_state=self.seed).fit_predict(x)
        elif self.clusterer == "mixture":  # diagonal: 1,280 dimensions leave a full covariance ill-posed
            mixture = GaussianMixture(k, covariance_type="diag", n_init=2, random_state=self.seed).fit(x)
            self.extra["means"] = torch.from_numpy(mixture.means_.astype(np.float32))
            self.extra["precisions"] = torch.from_numpy(mixture.precisions_.astype(np.float32))
            self.extra["log_weights"] = torch.from_numpy(np.log(mixture.weights_).astype(np.float32))
            labels = mixture.predict(x)
        else:
            labels = SpectralClustering(k, affinity="nearest_neighbors", n_neighbors=self.n_neighbors,
                                        assign_labels="cluster_qr", random_state=self.seed).fit_predict(x)
        if self.clusterer != "mixture":  # new images go to the nearest centre (spectral has no rule of its own)
            centres = np.stack([x[labels == c].mean(axis=0) if (labels == c).any() else np.full(x.shape[1], np.inf)
                                for c in range(k)])
            self.extra["centroids"] = torch.from_numpy(centres.astype(np.float32))
        self.epoch_labels = np.asarray(labels)
        return {"clusters_used": float(np.unique(labels).size)}

    # ---- inference ----------------------------------------------------------------------------
    def current_labels(self, data: torch.Tensor) -> np.ndarray | None:
        if self.clusterer != "head":
            return self.epoch_labels
        return self._head_labels(data, self.model["heads"] if self._phase == 0 else self.model["head"])

    def _head_labels(self, data: torch.Tensor, layer: nn.Module) -> np.ndarray:
        x = self._inputs_of(data)[0]
        with torch.no_grad():
            logits = layer(x)
            if layer is self.model["heads"]:  # the best head so far of the ones side by side
                best = int(torch.argmin(self.extra["scan_losses"]))
                logits = logits[:, best * self.n_clusters:(best + 1) * self.n_clusters]
        return logits.argmax(dim=1).cpu().numpy()

    def predict_tensor(self, data: torch.Tensor) -> np.ndarray:
        if self.clusterer == "head":
            return self._head_labels(data, self.model["head"])
        x = self._inputs_of(data)[0].cpu()
        if self.clusterer == "mixture":  # the diagonal Gaussians' log-density, expanded to stay (n, k)
            means, precisions = self.extra["means"].cpu(), self.extra["precisions"].cpu()
            squared = (x ** 2) @ precisions.T - 2 * x @ (means * precisions).T + (means ** 2 * precisions).sum(dim=1)
            log_p = self.extra["log_weights"].cpu() + 0.5 * (torch.log(precisions).sum(dim=1) - squared)
            return log_p.argmax(dim=1).numpy()
        return torch.cdist(x, self.extra["centroids"].cpu()).argmin(dim=1).numpy()
