"""AND: anchor neighbourhood discovery (Huang et al., ICML 2019), with an Auto-K head.

A backbone maps each augmented image to a 128-d L2-normalised feature; a memory bank holds one
feature per training image (`deep.memory`). Round 0 is instance discrimination; before each
later round, the lowest-entropy share of samples (25 / 50 / 75 / 100 % over four rounds) become
anchors with their nearest neighbour, and the loss becomes -log(p_ii + p_i,neighbour) for them.
SGD (lr 0.03, momentum 0.9, weight decay 5e-4, batch 128) with the learning rate annealed by a
cosine within each round; augmentation as published (random resized crop 0.2-1, flip, colour
jitter 0.4, grayscale 0.2), batched on the device.

The Auto-K head (`autok_*` options, the seed's `--method`, `--method-cycle`, `--cycle-level`,
`--consensus-methods`, `--min-k`, `--max-k`, `--sample-size`) estimates k from a sample of the
memory after every epoch or round with `clusterlab.autok`, and logs its votes. Beyond the seed,
`autok_feedback: true` makes the estimated k the number of clusters that evaluation and
`predict` use. With `autok_log_embeddings` (on by default) each estimate also leaves the memory
sample it decided from in `embedding_log`; the session writes it to TensorBoard's projector,
coloured by the k-means clustering at the estimated k. Clustering of the features: k-means on
the features of the images.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ...errors import ParameterError
from ...sampling import subsample
from ..augment import and_augment
from ..memory import MemoryBank, anchor_share, neighbourhood_loss, select_anchors
from ..nets.resnet import BACKBONES
from .ae_kmeans import kmeans_centroids
from .base import DeepClusterer, Phase, epoch_generator

CYCLE_LEVELS = ("epoch", "round")


class AND(DeepClusterer):
    """AND: instance discrimination, then anchor neighbourhoods by rounds, with an Auto-K head."""

    name = "and"

    def __init__(self, *, network: str = "SmallResNet", max_round: int = 5, max_epoch: int = 10,
                 base_lr: float = 0.03, momentum: float = 0.9, feature_dim: int = 128, temperature: float = 0.1,
                 memory_momentum: float = 0.5, autok: bool = True, autok_method: str = "consensus",
                 autok_method_cycle: list | None = None, autok_cycle_level: str = "round",
                 autok_consensus_methods: list | None = None, autok_min_k: int = 2, autok_max_k: int = 20,
                 autok_sample_size: int = 2048, autok_feedback: bool = False, autok_log_embeddings: bool = True,
                 **base):
        base.setdefault("batch_size", 128)
        base.setdefault("weight_decay", 5e-4)
        base.setdefault("net", "mlp")  # unused: AND builds its own backbone
        super().__init__(**base)
        if network not in BACKBONES:
            raise ParameterError(f"network {network!r} is not allowed; choose one of: {', '.join(BACKBONES)}")
        if max_round < 1 or max_epoch < 0:
            raise ParameterError(f"need max_round >= 1 and max_epoch >= 0, got {max_round}, {max_epoch}")
        if autok_cycle_level not in CYCLE_LEVELS:
            raise ParameterError(f"autok_cycle_level must be one of {CYCLE_LEVELS}, got {autok_cycle_level!r}")
        self.network, self.max_round, self.max_epoch = network, max_round, max_epoch
        self.base_lr, self.momentum, self.feature_dim = base_lr, momentum, feature_dim
        self.temperature, self.memory_momentum = temperature, memory_momentum
        self.autok, self.autok_method, self.autok_cycle = autok, autok_method, list(autok_method_cycle or [])
        self.autok_cycle_level, self.autok_consensus_methods = autok_cycle_level, autok_consensus_methods
        self.autok_min_k, self.autok_max_k, self.autok_sample_size = autok_min_k, autok_max_k, autok_sample_size
        self.autok_feedback, self.autok_log_embeddings = autok_feedback, autok_log_embeddings
        self.k_estimates: list[dict] = []

    # ---- set-up -------------------------------------------------------------------------------
    def build(self, shape: tuple[int, int, int]) -> None:
        torch.manual_seed(self.seed)
        self.shape = tuple(int(s) for s in shape)
        self.model = BACKBONES[self.network](shape[0], self.feature_dim).to(self.device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=self.base_lr, momentum=self.momentum,
                                         weight_decay=self.weight_decay)

    def phases(self) -> list[Phase]:
        return [Phase(f"round{r}", self.max_epoch) for r in range(self.max_round)]

    def start_phase(self, index: int, data: torch.Tensor) -> None:
        if "memory" not in self.extra:
            self.memory = MemoryBank(len(data), self.feature_dim, self.temperature, self.memory_momentum,
                                     self.seed).to(self.device)
            self.extra["memory"] = self.memory.bank
        entropy, neighbour = self.memory.entropy_and_neighbour()
        self.extra["anchors"] = select_anchors(entropy, anchor_share(index, self.max_round))
        self.extra["neighbour"] = neighbour
        if self.autok and self.autok_cycle_level == "round" and index > 0:
            self._estimate_k(index, 0)

    # ---- one epoch ----------------------------------------------------------------------------
    def features(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(self.model(x), dim=1)

    def train_epoch(self, index: int, epoch: int, data: torch.Tensor) -> dict[str, float]:
        g = epoch_generator(self.seed, index, epoch)
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=g)))
        lr = self.base_lr * 0.5 * (1 + math.cos(math.pi * epoch / max(self.max_epoch, 1)))
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.model.train()
        anchors, neighbour = self.extra["anchors"], self.extra["neighbour"]
        if getattr(self, "_on_device", None) is None or len(self._on_device) != len(data):
            self._on_device = data.to(self.device)  # once: no host-to-device copy per batch
        cuda = self.device.type == "cuda"
        total = 0.0
        for b in self.batches(len(data), g):
            b = b.to(self.device)
            with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=cuda):
                f = self.features(and_augment(self._on_device[b], g))
                loss = neighbourhood_loss(self.memory.logits(f.float()), b, anchors, neighbour)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.memory.update(b, f.float())
            total += float(loss.detach()) * len(b)
        record = {"loss": total / len(data), "anchors": float(anchors.float().mean()), "lr": lr}
        self._refresh_centroids(data)
        if self.autok and self.autok_cycle_level == "epoch":
            record.update(self._estimate_k(index, epoch))
        elif "k_history" in self.extra:
            record["k_estimate"] = float(self.extra["k_history"][-1])
        return record

    # ---- Auto-K head --------------------------------------------------------------------------
    def _method_now(self, index: int, epoch: int) -> str:
        if not self.autok_cycle:
            return self.autok_method
        step = epoch if self.autok_cycle_level == "epoch" else index
        return self.autok_cycle[step % len(self.autok_cycle)]

    def _estimate_k(self, index: int, epoch: int) -> dict[str, float]:
        from ...autok import estimate_k

        method = self._method_now(index, epoch)
        methods = (self.autok_consensus_methods or None) if method == "consensus" else [method]
        bank = self.memory.bank.detach().cpu().numpy()
        seed = self.seed + index * 1000 + epoch
        result = estimate_k(bank, methods=methods, min_k=self.autok_min_k, max_k=self.autok_max_k,
                            sample_size=self.autok_sample_size, seed=seed)
        if self.autok_log_embeddings:
            rows = subsample(len(bank), self.autok_sample_size, seed)
            self.embedding_log = {"rows": rows, "features": bank[rows], "k": int(result.k),
                                  "tag": f"memory/round{index}-epoch{epoch}-{method}"}
        votes = {e.method: e.k for e in result.estimates}
        self.k_estimates.append({"round": index, "epoch": epoch, "method": method, "k": int(result.k), "votes": votes})
        self.extra["k_history"] = torch.tensor([e["k"] for e in self.k_estimates])  # kept by checkpoints
        out = {"k_estimate": float(result.k)}
        out.update({f"k_vote_{m}": float(k) for m, k in votes.items() if k is not None})
        return out

    @property
    def k_used(self) -> int:
        if self.autok_feedback and "k_history" in self.extra:
            return int(self.extra["k_history"][-1])
        return self.n_clusters

    def _refresh_centroids(self, data: torch.Tensor) -> None:
        """k-means on the features of the (unaugmented) images as `predict` sees them; the
        memory bank holds features of augmented views from training mode, a shifted picture."""
        z = self.embed(data)
        self.extra["centroids"] = kmeans_centroids(z, self.k_used, self.seed, n_init=3)
        self.epoch_labels = torch.cdist(z, self.extra["centroids"]).argmin(dim=1).numpy()

    def finish(self, data: torch.Tensor) -> None:
        if "centroids" not in self.extra:
            self._refresh_centroids(data)

    def evaluate(self, train: torch.Tensor, train_truth, test: torch.Tensor, test_truth) -> dict:
        """AND's published measure, the weighted kNN accuracy of the features (when a truth is
        known), and the Auto-K head's estimates."""
        extra = {}
        if train_truth is not None and test_truth is not None:
            extra["knn_accuracy"] = weighted_knn_accuracy(self.embed(train), train_truth, self.embed(test), test_truth,
                                                          leave_one_out=test is train)
        if self.k_estimates:
            extra["k_estimates"] = self.k_estimates
            extra["k_used"] = self.k_used
        return extra

    # ---- inference ----------------------------------------------------------------------------
    @torch.no_grad()
    def embed(self, data: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        self.model.eval()
        return torch.cat([self.features(data[i: i + batch_size].to(self.device)).cpu()
                          for i in range(0, len(data), batch_size)])

    def predict_tensor(self, data: torch.Tensor) -> np.ndarray:
        return torch.cdist(self.embed(data), self.extra["centroids"].cpu()).argmin(dim=1).numpy()

    def load_tensors(self, tensors) -> None:
        super().load_tensors(tensors)
        self.memory = MemoryBank(len(self.extra["memory"]), self.feature_dim, self.temperature,
                                 self.memory_momentum).to(self.device)
        self.memory.bank.copy_(self.extra["memory"])
        self.extra["memory"] = self.memory.bank


def weighted_knn_accuracy(train_features: torch.Tensor, train_labels, test_features: torch.Tensor, test_labels,
                          k: int = 200, temperature: float = 0.1, classes: int | None = None,
                          leave_one_out: bool = False) -> float:
    """AND's evaluation: each test feature votes among its k most similar training features,
    weighted by exp(similarity / T). Labels are read here only, to score."""
    train_labels = torch.as_tensor(np.asarray(train_labels))
    test_labels = torch.as_tensor(np.asarray(test_labels))
    classes = classes or int(max(train_labels.max(), test_labels.max())) + 1
    k = min(k, len(train_features) - (1 if leave_one_out else 0))
    correct = 0
    for start in range(0, len(test_features), 1024):
        sims = test_features[start: start + 1024] @ train_features.T
        if leave_one_out:
            sims[torch.arange(sims.shape[0]), torch.arange(start, start + sims.shape[0])] = -float("inf")
        top, idx = sims.topk(k, dim=1)
        votes = torch.zeros(sims.shape[0], classes).scatter_add_(1, train_labels[idx], torch.exp(top / temperature))
        correct += int((votes.argmax(dim=1) == test_labels[start: start + 1024]).sum())
    return correct / len(test_features)
