"""N2D (McConville et al. 2020): an autoencoder's embedding, then a manifold projection of it
(UMAP, to as many dimensions as clusters, min_dist 0), then a Gaussian mixture.

The mixture keeps the best of `mixture_inits` starts by likelihood: on MNIST-test one start
merged 3 with 5 and split the 1s (ACC 82.5 %), ten found the digits (95.0 %), and the likelier
solution was the right one each time we looked (no labels are read to choose).

UMAP's `n_neighbors` is 10, the default of N2D's code (on MNIST-test 95.4 %, 95.0 % with 20,
94.8 % with 50); N2D's published runs use 20 and 1000 pre-training epochs, and neither helps here.
On the three USPS autoencoders of `results/deep.md`, 10 / 20 / 30 neighbours gave 96.5-96.8 /
96.4-96.6 / 96.4-96.5 %; on three Fashion-MNIST ones (seed 0 after 30 epochs, seeds 1-2 after 80)
59.6-60.2 / 59.8-60.2 / 59.8-62.9 %, no setting ahead on every seed. 400 epochs on USPS reached
96.45 % against 96.71 % at 150 (seed 0); five UMAP seeds voting together (96.72 %) and kNN
smoothing of the labels (92.7-96.1 %) did not move USPS either.

`self_label_epochs` > 0 adds self-labelling after the mixture (see `_self_label`), which goes
beyond N2D and is off in the published method's config (`configs/deep/n2d.yaml`); the variant
`n2d-selflabel.yaml` turns it on. On the USPS autoencoder of seed 0 the mixture's 96.41 % became
97.66 % (CNN seed 0) and 97.74 % (seed 1) after 15 epochs, 25 s on one thread. What made it work:
every image's label (the mixture's posteriors are almost all 1.0, so a confidence cut keeps
nearly everything anyway), label smoothing 0.1 (97.49 % without) and a cosine-decayed learning
rate; a first version without the last two moved USPS by 0.1 point only. Over 3 seeds of the whole
method (`results/deep.md`): USPS 97.54 +- 0.14 % (plain N2D 96.63), MNIST-test 97.35 +- 0.21 %
(95.52); the self-labelling itself takes 25 s on USPS on one thread. It mends single images,
not merged classes: on Fashion-MNIST, where the mixture's errors are whole groups (shirts, pullovers
and coats), seed 0 went from 62.66 % (plain N2D, same seed and settings) to 59.65 % with 8 epochs.

Those groups are joined by the projection, not by the mixture. On the 80-epoch Fashion-MNIST
embedding of seed 0, UMAP places pullovers, coats and shirts in one connected blob of 16.6k images
(mixture: 59.2 %); no cheaper step after it split that blob reliably: mixtures with equal weights
(55.5-64.0 % over 4 starts), a Dirichlet prior pulling the weights together (55.1-60.1 %), or 15-50
components merged by spectral clustering of their kNN-graph links (53.5-68.1 %, 61.4 % on the mean
of 12, and the mixtures' likelihood did not tell the good ones apart). UMAP on 50 principal
components of the pixels gave 57.4 %. N2D's NMI there (68.2 +- 0.7 over 3 seeds) matches the
published 68.4 %; its ACC turns on which classes the mixture joins. A second UMAP fitted on the
blob's members alone does not split it either (3 components: 43 % of the blob right, chance 40 %),
and the codes' 10-nearest-neighbour purity is lowest exactly there (pullover 0.69, coat 0.70, shirt
0.57, against 0.91-0.97 for trousers, sandals, sneakers, bags and boots): the autoencoder does not
tell them apart.

The rest of the spread between seeds is the projection's seed. On the seed-0 autoencoder, eight UMAP
seeds gave 58.9-63.4 % and on seed 1's six 60.2-64.9 %, each in two modes about 3-4 points apart,
roughly half the draws in each: on seed 0 the modes differ in where the footwear (sandals, sneakers,
boots) is cut in three, on seed 1 also in whether the tops are split. Nothing label-free we tried tells
the modes apart on both. The share of code-space neighbours in a point's own cluster, and the
Davies-Bouldin index of the codes, pick the better mode on seed 0 but the worse on seed 1, where
silhouette and Calinski-Harabasz prefer it too (keeping the best of 5 projections by neighbour share:
62.41 and 60.16 %, against 62.66 and 60.23 % with one); size balance picks the worse mode on seed 0;
in one seed-0 projection the likeliest of 16 mixture starts gave 59.3 % where another gave 63.0 %.

Two more representations on the same data gave no lift (2026-12-01; seed 0, 80 epochs where trained):
denoising pre-training (20 % of the pixels set to zero, as in DEC's stacked autoencoder) left the codes'
neighbour purity where it was (0.826; pullover / coat / shirt 0.69 / 0.70 / 0.57) and gave 59.4-60.1 %
over six UMAP seeds; HOG features of the pixels (4-pixel cells, 9 orientations, 2 x 2 blocks), without
any training, reached 57.7-63.1 % reduced by PCA to 20 dimensions (six UMAP seeds, mean 60.3 %) and
58.9-60.9 % at 50 and 100 (five seeds in all).
The confusion matrix of a 59.9 % mixture shows where ACC goes: the tops join, bags take two clusters,
and the three footwear clusters are cut across sandal, sneaker and boot, where a right cut alone would
be worth about 7 points. Neither the codes (k-means 51.8 %, mixture 53.9 %, spectral 62.8 % on the
footwear's 21k images) nor a UMAP of the footwear alone (73.7 %) cut it right.

`pretrain="contrastive"` (config `n2d-contrastive.yaml`, beyond N2D) trains the encoder by SimCLR's
NT-Xent between two random views of each image (`augment.contrastive_view`: zoom, turn, shift, mirror,
brightness, 10 % of pixels dropped; temperature 0.5, batches of 512, a 128-dimensional output and a
two-layer projection head) instead of by reconstruction, and then runs the same UMAP and mixture. Its
codes' neighbour purity is lower than the autoencoder's (0.735 after 20 epochs), but the clusters are
better: in the trial that chose the settings (one network, seed 0) 64.6 / 64.9 / 64.7 % over three
UMAP seeds after 20 epochs and 65.5 % after 40, which the config uses (16 s per epoch on one thread).
The benchmark's 3 seeds (`results/deep.md`): 65.86 +- 1.54 % ACC on Fashion-MNIST (plain N2D 60.83 +-
1.32) in 12 min per run, but USPS 65.8 % and MNIST-test 49.0 % (plain N2D 96.6 and 95.5): on digits
these views hurt. Without the mirror, USPS rose only to 79.2 % (seed 0, 40 epochs), so for digits the
reconstruction objective stays the choice.

`manifold="sphere"` scales the codes to unit length and learns nothing; with `clusterer="kmeans"`
(`mixture_inits` then counts k-means starts) it is the tail of `n2d-contrastive-kmeans.yaml`: NT-Xent
compares directions, so cosine geometry is what the contrastive codes were trained for. On CIFAR-10
(trained on the 50,000, scored on the test 10,000; 2026-12-01), against UMAP + mixture on the same
network, ACC / NMI / ARI %: seed 0, 24.11 / 12.51 / 7.04 against 22.54 / 11.88 / 6.47; seed 1, 22.81 /
11.59 / 5.92 against 23.32 / 12.03 / 6.06; seed 2, 22.07 / 11.49 / 6.09 against 22.45 / 11.84 / 6.02
(these three the benchmark's networks); seed 1 at temperature 0.2, 22.76 / 12.21 / 6.36 against 21.51 /
11.59 / 5.33; seed 1 with random resized crops for views, 22.16 / 11.84 / 6.20 against 22.15 / 11.69 /
5.42. So it is ahead on ARI on four networks of five, on ACC on two (a third is a tie), and on the 50,000
codes it takes about 9 s where UMAP and the mixture took 81-88 s (one thread). Three k-means seeds on one
network gave 24.01-24.11 %. On the seed-0 codes, k-means without the scaling gave 22.47 %, and a
full-covariance mixture on the sphere 23.33 %. None of these encoder changes (temperature, crops)
lifted ACC, and neither did these, each tried once on CIFAR-10 with k-means on the sphere (none kept):
colour jitter in the views (20 epochs: 18.86 % against 21.85 %), 60 epochs (23.54 % against 24.11 % at
40), the plain CNN encoder (24.17 / 24.16 / 23.03 / 22.82 % after 10 / 20 / 30 / 40 epochs), the
2000-wide layer under the codes (22.79 % against 22.81 %), codes averaged over 8 views (22.43 %),
SCAN's clustering head on the frozen codes (neighbour consistency plus entropy, best of five heads by
loss: 24.68 / 22.86 / 22.45 % on the benchmark's seeds 0 / 1 / 2, 23.33 on average, and 23.63 % on the
CNN; NMI and ARI under k-means' on three of the four), and self-labelling after k-means (seed 1,
10 epochs: 22.38 % against 22.82 %). What decides ACC here is which network a seed trains.
The benchmark's 3 seeds (`results/deep.md`): CIFAR-10 23.00 +- 0.84 / 11.88 +- 0.45 / 6.36 +- 0.49 %
(UMAP + mixture 22.77 / 11.92 / 6.19), 12.9 min per run on one thread beside another run. On the
grey images the sphere is no general win: Fashion-MNIST 61.34 +- 1.07 % against UMAP's 65.86, USPS
65.48 against 65.76, MNIST-test 56.34 against 48.99 (both far under reconstruction's 95-97 %).
For scale: k-means on CIFAR-10's raw pixels (the benchmark's `kmeans_pixels`, 10 starts), fitted on
the 50,000 and scored on the test 10,000, gives 20.82 +- 0.01 / 8.29 / 4.23 % over three seeds, under
the published K-Means row (22.67 / 8.72 / 5.46).

UMAP compiles for about half a minute in each new process, so `manifold="pca"` exists for quick
checks; the published method (and the default) is UMAP. The projection and the mixture are
refitted deterministically from the embedding and the seed, so checkpoints hold only the network.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...errors import ParameterError
from ..augment import contrastive_view
from ..losses import nt_xent
from ..nets.conv import ConvEncoder
from .base import DeepClusterer, epoch_generator, jitter

MANIFOLDS = ("umap", "pca", "sphere")
CLUSTERERS = ("mixture", "kmeans")
PRETRAINS = ("reconstruction", "contrastive")


class N2D(DeepClusterer):
    """N2D: autoencoder codes, a UMAP projection, then a Gaussian mixture."""

    name = "n2d"

    def __init__(self, *, manifold: str = "umap", n_neighbors: int = 10, manifold_dims: int | None = None,
                 mixture_inits: int = 10, self_label_epochs: int = 0, self_label_share: float = 1.0,
                 pretrain: str = "reconstruction", temperature: float = 0.5, clusterer: str = "mixture", **base):
        base.setdefault("net", "mlp")
        super().__init__(**base)
        if pretrain not in PRETRAINS:
            raise ParameterError(f"pretrain {pretrain!r} is not allowed; choose one of: {', '.join(PRETRAINS)}")
        if temperature <= 0:
            raise ParameterError(f"temperature must be positive, got {temperature}")
        self.pretrain, self.temperature = pretrain, temperature
        if manifold not in MANIFOLDS:
            raise ParameterError(f"manifold {manifold!r} is not allowed; choose one of: {', '.join(MANIFOLDS)}")
        if clusterer not in CLUSTERERS:
            raise ParameterError(f"clusterer {clusterer!r} is not allowed; choose one of: {', '.join(CLUSTERERS)}")
        self.clusterer = clusterer
        if mixture_inits < 1:
            raise ParameterError(f"mixture_inits must be at least 1, got {mixture_inits}")
        if self_label_epochs < 0 or not 0 < self_label_share <= 1:
            raise ParameterError("self_label_epochs must be >= 0 and self_label_share in (0, 1]")
        self.manifold, self.n_neighbors, self.mixture_inits = manifold, n_neighbors, mixture_inits
        self.self_label_epochs, self.self_label_share = self_label_epochs, self_label_share
        self._classifier = None
        self.manifold_dims = manifold_dims or self.n_clusters
        self._projection = self._cluster_model = None

    def build(self, shape: tuple[int, int, int]) -> None:
        super().build(shape)
        if self.pretrain == "contrastive":  # SimCLR's projection head; the codes are the encoder's output,
            # and the decoder stays untrained
            self.model.head = nn.Sequential(nn.ReLU(), nn.Linear(self.latent, 128), nn.ReLU(),
                                            nn.Linear(128, 64)).to(self.device)
            self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)

    def train_epoch(self, index: int, epoch: int, data: torch.Tensor) -> dict[str, float]:
        if self.pretrain == "reconstruction":
            return self.reconstruction_epoch(index, epoch, data)
        return self._contrastive_epoch(index, epoch, data)

    def _contrastive_epoch(self, index: int, epoch: int, data: torch.Tensor) -> dict[str, float]:
        """SimCLR: two random views of every image in a batch, NT-Xent on the projection head."""
        g = epoch_generator(self.seed, index, epoch)
        self.model.train()
        total, seen = 0.0, 0
        for b in self.batches(len(data), g):
            if len(b) < 2:  # one image has no negatives
                continue
            x = data[b].to(self.device)
            views = torch.cat([contrastive_view(x, g), contrastive_view(x, g)])
            h = self.model.head(self.model.encode(views))
            loss = nt_xent(h[: len(b)], h[len(b):], self.temperature)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            total, seen = total + float(loss.detach()) * len(b), seen + len(b)
        return {"contrastive": total / max(seen, 1)}

    def finish(self, data: torch.Tensor) -> None:
        from sklearn.cluster import KMeans
        from sklearn.mixture import GaussianMixture

        z = self.embed(data).numpy()
        if self.manifold == "umap":
            import umap

            self._projection = umap.UMAP(n_components=self.manifold_dims, n_neighbors=self.n_neighbors,
                                         min_dist=0.0, metric="euclidean", random_state=self.seed)
        elif self.manifold == "pca":
            from sklearn.decomposition import PCA

            self._projection = PCA(n_components=min(self.manifold_dims, z.shape[1]), random_state=self.seed)
        else:  # NT-Xent compares directions, so the codes' lengths carry little
            from sklearn.preprocessing import Normalizer

            self._projection = Normalizer()
        u = self._projection.fit_transform(z)
        if self.clusterer == "kmeans":
            model = KMeans(self.n_clusters, n_init=self.mixture_inits, random_state=self.seed)
        else:
            model = GaussianMixture(self.n_clusters, covariance_type="full", n_init=self.mixture_inits,
                                    random_state=self.seed)
        self._cluster_model = model.fit(u)
        if self.self_label_epochs:
            posterior = (np.eye(self.n_clusters)[self._cluster_model.labels_] if self.clusterer == "kmeans"
                         else self._cluster_model.predict_proba(u))
            self._classifier = self._self_label(data, posterior)

    def _self_label(self, data: torch.Tensor, posterior: np.ndarray):
        """Self-labelling: a small residual CNN learns the mixture's labels from the pixels under
        affine jitter, with label smoothing and a cosine-decayed learning rate, then labels every
        image. It reads pixels, so it can mend single images the embedding placed wrong: what it
        cannot fit under jitter and smoothing is what it relabels. `self_label_share` < 1 keeps
        only the most confident share of each cluster."""
        labels, confidence = posterior.argmax(axis=1), posterior.max(axis=1)
        keep = np.zeros(len(labels), dtype=bool)
        for c in range(self.n_clusters):
            members = np.flatnonzero(labels == c)
            if members.size:
                cut = np.quantile(confidence[members], 1 - self.self_label_share)
                keep[members[confidence[members] >= cut]] = True
        x, y = data[torch.from_numpy(keep)], torch.from_numpy(labels[keep])
        torch.manual_seed(self.seed)
        net = ConvEncoder(self.shape, self.n_clusters, depth=2, width=32).to(self.device)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        batch = 128  # measured on USPS: 97.66 % against 97.54 % with the autoencoder's 256
        steps = self.self_label_epochs * -(-len(x) // batch)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
        for epoch in range(self.self_label_epochs):
            g = epoch_generator(self.seed, 99, epoch)
            net.train()
            for b in self.batches(len(x), g, batch):
                xb = jitter(x[b], g).to(self.device)
                loss = nn.functional.cross_entropy(net(xb), y[b].to(self.device), label_smoothing=0.1)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
        return net.eval()

    def predict_tensor(self, data: torch.Tensor) -> np.ndarray:
        if self._cluster_model is None:
            raise ParameterError("n2d has no fitted projection; train it first")
        if self._classifier is not None:
            with torch.no_grad():
                return torch.cat([self._classifier(data[i: i + 1024].to(self.device)).argmax(dim=1).cpu()
                                  for i in range(0, len(data), 1024)]).numpy()
        z = self.embed(data).numpy()
        return self._cluster_model.predict(self._projection.transform(z))
