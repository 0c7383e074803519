"""Synthetic datasets with known clusters, generated from a small spec and a seed.

A `SyntheticSpec` is all that needs storing: `generate(spec)` rebuilds the same points from
it. Families:

- `gaussian`: k Gaussian clusters; `separation` sets the smallest distance between centres in
  units of the clusters' spread, `covariance` is `spherical` or `random` (random rotation,
  axis scales in [0.5, 2]); `imbalance` makes sizes unequal, `density_spread` makes some
  clusters wider than others;
- `shapes`: non-convex clusters in two dimensions (`moons`, `rings`, `spirals`, `blobs_ring`)
  rotated into d dimensions, with Gaussian jitter set by `jitter`;

and for both, `noise` (share of uniform background points, truth -1) and `informative` (only
that many dimensions carry the clusters; the rest is pure noise).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from ..errors import ParameterError
from .dataset import Dataset, array_schema

FAMILIES = ("gaussian", "shapes")
SHAPES = ("moons", "rings", "spirals", "blobs_ring")


@dataclass(frozen=True)
class SyntheticSpec:
    family: str
    n: int
    d: int
    k: int
    seed: int
    separation: float = 2.0
    covariance: str = "random"
    imbalance: float = 0.0
    density_spread: float = 0.0
    noise: float = 0.0
    informative: int | None = None
    shape: str = "moons"
    jitter: float = 0.05

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def name(self) -> str:
        what = self.shape if self.family == "shapes" else f"sep{self.separation:.2f}"
        return f"{self.family}-{what}-n{self.n}-d{self.d}-k{self.k}-s{self.seed}"


def _sizes(n: int, k: int, imbalance: float, rng) -> np.ndarray:
    """Cluster sizes summing to n; imbalance 0 gives equal sizes, 1 strongly unequal ones."""
    if imbalance <= 0:
        weights = np.full(k, 1.0 / k)
    else:
        weights = rng.dirichlet(np.full(k, 1.0 / imbalance))
        weights = np.maximum(weights, 0.02)  # every cluster keeps a few points
        weights /= weights.sum()
    sizes = np.floor(weights * n).astype(int)
    sizes[: n - sizes.sum()] += 1
    return np.maximum(sizes, 2)


def _random_rotation(d: int, rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _centres(k: int, d: int, min_distance: float, rng) -> np.ndarray:
    """k centres whose smallest pairwise distance is exactly `min_distance`."""
    centres = rng.normal(size=(k, d))
    diff = centres[:, None, :] - centres[None, :, :]
    dist = np.sqrt((diff ** 2).sum(axis=2))
    closest = dist[np.triu_indices(k, 1)].min() if k > 1 else 1.0
    return centres * (min_distance / max(closest, 1e-12))


def _gaussian(spec: SyntheticSpec, rng, dims: int) -> tuple[np.ndarray, np.ndarray]:
    sizes = _sizes(spec.n, spec.k, spec.imbalance, rng)
    spreads = 1.0 + spec.density_spread * rng.random(spec.k)
    centres = _centres(spec.k, dims, 2.0 * spec.separation * float(np.mean(spreads)), rng)
    parts, labels = [], []
    for c, (size, spread) in enumerate(zip(sizes, spreads)):
        z = rng.normal(size=(size, dims))
        if spec.covariance == "random":
            z = (z * rng.uniform(0.5, 2.0, dims)) @ _random_rotation(dims, rng)
        parts.append(centres[c] + spread * z)
        labels.append(np.full(size, c))
    return np.vstack(parts), np.concatenate(labels)


def _shape(spec: SyntheticSpec, rng) -> tuple[np.ndarray, np.ndarray]:
    sizes = _sizes(spec.n, spec.k, spec.imbalance, rng)
    parts, labels = [], []
    for c, size in enumerate(sizes):
        t = rng.random(size)
        if spec.shape == "moons":  # half circles, alternately flipped, laid side by side
            angle = np.pi * t
            sign = 1 if c % 2 == 0 else -1
            pts = np.column_stack([np.cos(angle) + c * 1.0, sign * np.sin(angle) - (0.5 if sign < 0 else 0)])
        elif spec.shape == "rings":  # concentric rings of radius 1, 2, ...
            angle = 2 * np.pi * t
            pts = (c + 1) * np.column_stack([np.cos(angle), np.sin(angle)])
        elif spec.shape == "spirals":  # k interleaved arms
            angle = 3 * np.pi * t + 2 * np.pi * c / spec.k
            radius = 0.5 + 2.0 * t
            pts = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
        elif spec.shape == "blobs_ring":  # one ring around k - 1 blobs inside it
            if c == 0:
                angle = 2 * np.pi * t
                pts = 4.0 * np.column_stack([np.cos(angle), np.sin(angle)])
            else:
                inner = 2.0 * np.array([np.cos(2 * np.pi * c / max(spec.k - 1, 1)),
                                        np.sin(2 * np.pi * c / max(spec.k - 1, 1))]) if spec.k > 2 else np.zeros(2)
                pts = inner + rng.normal(scale=0.35, size=(size, 2))
        else:
            raise ParameterError(f"shape={spec.shape!r} is not allowed; choose one of: {', '.join(SHAPES)}")
        parts.append(pts + rng.normal(scale=spec.jitter, size=pts.shape))
        labels.append(np.full(size, c))
    x = np.vstack(parts)
    y = np.concatenate(labels)
    return x, y


def generate(spec: SyntheticSpec) -> Dataset:
    """The dataset a spec describes; the same spec always gives the same points."""
    if spec.family not in FAMILIES:
        raise ParameterError(f"family={spec.family!r} is not allowed; choose one of: {', '.join(FAMILIES)}")
    if spec.k < 1 or spec.n < 2 * spec.k or spec.d < 1:
        raise ParameterError(f"need k >= 1, n >= 2k and d >= 1; got n={spec.n}, d={spec.d}, k={spec.k}")
    rng = np.random.default_rng(spec.seed)
    informative = min(spec.informative or spec.d, spec.d)
    if spec.family == "gaussian":
        x, y = _gaussian(spec, rng, informative)
    else:
        flat, y = _shape(spec, rng)
        informative = max(informative, 2) if spec.d >= 2 else 1
        lift = _random_rotation(max(informative, 2), rng)[:, :informative] if informative > 1 else np.ones((2, 1))
        x = flat @ lift[:2] if informative > 1 else flat[:, :1]
        x = x / x.std()
    if informative < spec.d:  # dimensions that carry no cluster information
        x = np.hstack([x, rng.normal(scale=x.std(), size=(x.shape[0], spec.d - informative))])
    if spec.noise > 0:
        m = int(round(spec.noise * x.shape[0]))
        lo, hi = x.min(axis=0), x.max(axis=0)
        x = np.vstack([x, rng.uniform(lo, hi, size=(m, x.shape[1]))])
        y = np.concatenate([y, np.full(m, -1)])
    order = rng.permutation(x.shape[0])  # no information in row order
    x, y = x[order], y[order].astype(np.int64)
    return Dataset(spec.name, x, array_schema(x), truth=y, meta={"spec": spec.to_dict()})


def sample_spec(rng: np.random.Generator, seed: int, *, max_n: int = 2000, max_k: int = 10) -> SyntheticSpec:
    """A random spec from a broad distribution over the families and their parameters."""
    family = "gaussian" if rng.random() < 0.6 else "shapes"
    k = int(rng.integers(2, max_k + 1))
    n = int(rng.integers(min(max(100, 30 * k), max_n), max_n + 1))
    spec = SyntheticSpec(family=family, n=n, d=2, k=k, seed=seed)
    if family == "gaussian":
        d = int(rng.choice([2, 3, 5, 10, 20, 50]))
        spec = replace(spec, d=d, separation=float(rng.uniform(0.5, 4.0)),
                       covariance="spherical" if rng.random() < 0.3 else "random",
                       imbalance=float(rng.choice([0.0, 0.3, 0.8])), density_spread=float(rng.choice([0.0, 1.0, 2.0])))
    else:
        shape = str(rng.choice(SHAPES))
        if shape != "blobs_ring":  # moons, rings and spirals read best with a few clusters
            k = int(rng.integers(2, 5))
        n = min(max(spec.n, 60 * k), max(max_n, 2 * k))
        spec = replace(spec, shape=shape, k=k, n=n, d=int(rng.choice([2, 2, 3, 10])),
                       jitter=float(rng.uniform(0.02, 0.15)), imbalance=float(rng.choice([0.0, 0.3])))
    if rng.random() < 0.3:
        spec = replace(spec, noise=float(rng.uniform(0.01, 0.1)))
    if spec.d >= 10 and rng.random() < 0.4:
        spec = replace(spec, informative=int(rng.integers(2, max(3, spec.d // 3) + 1)))
    return spec
