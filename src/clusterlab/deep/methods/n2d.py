"""N2D (McConville et al. 2020): an autoencoder's embedding, then a manifold projection of it
(UMAP, to as many dimensions as clusters, min_dist 0), then a Gaussian mixture.

UMAP compiles for about half a minute in each new process, so `manifold="pca"` exists for quick
checks; the published method (and the default) is UMAP. The projection and the mixture are
refitted deterministically from the embedding and the seed, so checkpoints hold only the network.
"""

from __future__ import annotations

import numpy as np
import torch

from ...errors import ParameterError
from .base import DeepClusterer

MANIFOLDS = ("umap", "pca")


class N2D(DeepClusterer):
    """N2D: autoencoder codes, a UMAP projection, then a Gaussian mixture."""

    name = "n2d"

    def __init__(self, *, manifold: str = "umap", n_neighbors: int = 20, manifold_dims: int | None = None,
                 **base):
        base.setdefault("net", "mlp")
        super().__init__(**base)
        if manifold not in MANIFOLDS:
            raise ParameterError(f"manifold {manifold!r} is not allowed; choose one of: {', '.join(MANIFOLDS)}")
        self.manifold, self.n_neighbors = manifold, n_neighbors
        self.manifold_dims = manifold_dims or self.n_clusters
        self._projection = self._mixture = None

    def finish(self, data: torch.Tensor) -> None:
        from sklearn.mixture import GaussianMixture

        z = self.embed(data).numpy()
        if self.manifold == "umap":
            import umap

            self._projection = umap.UMAP(n_components=self.manifold_dims, n_neighbors=self.n_neighbors,
                                         min_dist=0.0, metric="euclidean", random_state=self.seed)
        else:
            from sklearn.decomposition import PCA

            self._projection = PCA(n_components=min(self.manifold_dims, z.shape[1]), random_state=self.seed)
        u = self._projection.fit_transform(z)
        self._mixture = GaussianMixture(self.n_clusters, covariance_type="full", random_state=self.seed).fit(u)
        self._train_labels = self._mixture.predict(u)
        self._train_size = len(data)

    def predict_tensor(self, data: torch.Tensor) -> np.ndarray:
        if self._mixture is None:
            raise ParameterError("n2d has no fitted projection; train it first")
        z = self.embed(data).numpy()
        return self._mixture.predict(self._projection.transform(z))
