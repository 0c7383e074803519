"""A single-layer convolutional encoder whose filters are learned by k-means, not by gradient
(Coates, Lee & Ng 2011, "An analysis of single-layer networks in unsupervised feature learning").

Random `patch` x `patch` windows of the images are normalised for brightness and contrast and
ZCA-whitened; k-means on them gives `atoms` filters. An image is encoded by sliding every window
through the same normalisation and whitening, taking the "triangle" activation
max(0, mean_k(d) - d_k) of its distances d to the atoms (an atom fires only where it is closer
than average, a sparse code), and summing the activations over the four quadrants of the image.
Everything it learns lives in buffers, so a checkpoint of its state dict is the whole encoder.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ...errors import DataError, ParameterError


class PatchDictionary(nn.Module):
    def __init__(self, shape: tuple[int, int, int], atoms: int = 800, patch: int = 6,
                 contrast_eps: float = 0.01, whiten_eps: float = 0.1):
        super().__init__()
        c, h, w = shape
        if atoms < 2:
            raise ParameterError(f"atoms must be at least 2, got {atoms}")
        if not 2 <= patch <= min(h, w) - 1:
            raise ParameterError(f"patch must be between 2 and {min(h, w) - 1} for images of {h} x {w}, got {patch}")
        self.shape, self.atoms, self.patch = (c, h, w), atoms, patch
        # contrast_eps keeps flat windows (sky, background) from being blown up to full contrast;
        # whiten_eps does the same for the whitening's smallest directions (Coates et al.'s 0.1)
        self.contrast_eps, self.whiten_eps = contrast_eps, whiten_eps
        d = c * patch * patch
        self.register_buffer("mean", torch.zeros(d))
        self.register_buffer("whitening", torch.eye(d))
        self.register_buffer("dictionary", torch.zeros(atoms, d))

    @property
    def out_features(self) -> int:
        return 4 * self.atoms

    def fit(self, images: torch.Tensor, n_patches: int, seed: int) -> float:
        """Learns the whitening and the atoms from `n_patches` random windows; returns k-means' inertia
        per window."""
        from sklearn.cluster import MiniBatchKMeans

        rng = np.random.default_rng(seed)
        n, _, h, w = images.shape
        p = self.patch
        pick, rows, cols = rng.integers(0, n, n_patches), rng.integers(0, h - p + 1, n_patches), \
            rng.integers(0, w - p + 1, n_patches)
        x = images.numpy()
        windows = np.stack([x[i, :, r: r + p, c: c + p].reshape(-1) for i, r, c in zip(pick, rows, cols)])
        windows = self._normalise(torch.from_numpy(windows).double())
        mean = windows.mean(0)
        values, vectors = torch.linalg.eigh(torch.cov((windows - mean).T))
        whitening = vectors @ torch.diag(1 / torch.sqrt(values.clamp(min=0) + self.whiten_eps)) @ vectors.T
        white = ((windows - mean) @ whitening).numpy()
        # distinct windows counted by one random projection of each: a sort of 1-d keys, where sorting
        # whole rows took 2 s on CIFAR-10's 200,000 windows
        keys = white.round(6) @ np.random.default_rng(0).normal(size=white.shape[1])
        if len(np.unique(keys.round(6))) < self.atoms:
            raise DataError(f"the images have fewer distinct {p} x {p} windows than atoms ({self.atoms}); "
                            "lower atoms or give more images")
        kmeans = MiniBatchKMeans(self.atoms, batch_size=10_000, n_init=1, max_iter=50, random_state=seed).fit(white)
        self.mean.copy_(mean.float())
        self.whitening.copy_(whitening.float())
        self.dictionary.copy_(torch.from_numpy(kmeans.cluster_centers_).float())
        return float(kmeans.inertia_) / n_patches

    def _normalise(self, windows: torch.Tensor) -> torch.Tensor:
        windows = windows - windows.mean(1, keepdim=True)
        return windows / torch.sqrt(windows.var(1, keepdim=True, unbiased=False) + self.contrast_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, C, H, W) images to (n, 4 * atoms) pooled activations."""
        c, p = self.shape[0], self.patch
        d = c * p * p
        # each window's mean and variance, as convolutions (the same sums unfold would give)
        ones = torch.full((1, c, p, p), 1.0 / d, device=x.device)
        mu = F.conv2d(x, ones)
        var = (F.conv2d(x * x, ones) - mu * mu).clamp(min=0)
        # whitening of the normalised window: W ((p - mu) / s - m) = (W p - mu W 1) / s - W m
        filters = self.whitening.reshape(d, c, p, p)
        u = (F.conv2d(x, filters) - mu * self.whitening.sum(1)[None, :, None, None]) \
            / torch.sqrt(var + self.contrast_eps) - (self.whitening @ self.mean)[None, :, None, None]
        atoms = self.dictionary
        # |u - a|^2 = |u|^2 - 2 u.a + |a|^2, with |a|^2 as the convolution's bias; the in-place steps
        # matter: this (n, atoms, windows) tensor is most of the encoder's time and memory
        dist = F.conv2d(u, -2 * atoms[:, :, None, None], bias=(atoms * atoms).sum(1))
        dist.add_((u * u).sum(1, keepdim=True)).clamp_(min=0).sqrt_()
        act = torch.sub(dist.mean(1, keepdim=True), dist, out=dist).clamp_(min=0)
        rows, cols = act.shape[2] // 2, act.shape[3] // 2
        quads = [act[:, :, :rows, :cols], act[:, :, :rows, cols:], act[:, :, rows:, :cols], act[:, :, rows:, cols:]]
        return torch.cat([q.sum((2, 3)) for q in quads], 1)


class PatchEncoder(nn.Module):
    """The dictionary's pooled activations, standardised, reduced by PCA to `dims` whitened
    components and scaled to unit length: the codes a clustering step reads. Whitening gives every
    component the same weight, so the few directions of overall brightness and colour, which hold
    most of the activations' variance, do not decide the clusters alone."""

    def __init__(self, shape: tuple[int, int, int], atoms: int = 800, patch: int = 6, dims: int = 50):
        super().__init__()
        self.dictionary = PatchDictionary(shape, atoms, patch)
        if not 1 <= dims <= self.dictionary.out_features:
            raise ParameterError(f"dims must be between 1 and {self.dictionary.out_features} (4 x atoms), got {dims}")
        self.dims = dims
        f = self.dictionary.out_features
        self.register_buffer("feature_mean", torch.zeros(f))
        self.register_buffer("feature_scale", torch.ones(f))
        self.register_buffer("components", torch.zeros(dims, f))  # rows already divided by their spread

    @torch.no_grad()
    def activations(self, images: torch.Tensor, batch_size: int = 16) -> torch.Tensor:
        device = self.feature_mean.device
        return torch.cat([self.dictionary(images[i: i + batch_size].to(device)).cpu()
                          for i in range(0, len(images), batch_size)])

    def fit_projection(self, activations: torch.Tensor, seed: int) -> float:
        """Fits the standardisation and the whitened PCA; returns the share of variance kept."""
        from sklearn.decomposition import PCA

        if len(activations) <= self.dims:
            raise DataError(f"dims ({self.dims}) must be below the number of images ({len(activations)})")
        a = activations.double()
        mean, scale = a.mean(0), a.std(0, unbiased=False)
        scale = torch.where(scale > 0, scale, torch.ones_like(scale))  # an atom that never fires stays 0
        pca = PCA(self.dims, random_state=seed).fit(((a - mean) / scale).numpy())
        self.feature_mean.copy_(mean.float())
        self.feature_scale.copy_(scale.float())
        spread = np.sqrt(np.maximum(pca.explained_variance_, 1e-12))
        self.components.copy_(torch.from_numpy(pca.components_ / spread[:, None]).float())
        return float(pca.explained_variance_ratio_.sum())

    def project(self, activations: torch.Tensor) -> torch.Tensor:
        # PCA's own centring is zero here: the standardised activations have mean 0 on the fitted data
        z = ((activations.to(self.components.device) - self.feature_mean) / self.feature_scale) @ self.components.T
        return F.normalize(z, dim=1)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        return self.project(self.activations(images))
