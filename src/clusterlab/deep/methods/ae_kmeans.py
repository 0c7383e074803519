"""AE+KMeans: pre-train an autoencoder by reconstruction, then k-means on its latent codes."""

from __future__ import annotations

import torch

from .base import DeepClusterer


class AEKMeans(DeepClusterer):
    """AE+KMeans: an autoencoder pre-trained by reconstruction, then k-means on its codes."""

    name = "ae_kmeans"

    def finish(self, data: torch.Tensor) -> None:
        if "centroids" in self.extra:
            return
        self.extra["centroids"] = kmeans_centroids(self.embed(data), self.n_clusters, self.seed)

    def predict_tensor(self, data: torch.Tensor):
        return torch.cdist(self.embed(data), self.extra["centroids"].cpu()).argmin(dim=1).numpy()


def kmeans_centroids(z: torch.Tensor, k: int, seed: int, n_init: int = 20) -> torch.Tensor:
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(z.numpy())
    return torch.from_numpy(km.cluster_centers_.astype("float32"))
