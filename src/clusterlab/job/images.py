"""The main job on images: a representation chosen by measurement, k found on it, the clustering
head on it.

Representations: the pixels (scaled to [0, 1], principal components), and each pretrained
backbone's features (`deep.backbones`, L2-normalised, principal components), the features
cached on disk so a second run starts at once. Each is measured without labels the same way:
k-means at every k in 2..max_k, each partition scored by its modularity on the images'
20-nearest-neighbour graph in that space (`metrics.neighbour_modularity`, scale-free, so it
compares spaces). The representation and k of the highest modularity are taken, and the
SCAN-style head (`deep.head`) clusters that representation at that k.

Chosen on the *training* splits of USPS, Fashion-MNIST and CIFAR-10 (3,000 images each, labels
read only to judge the rule, never by it), before the test sets of results/images.md were run:
modularity ranked the representations as their 20-NN label agreement does on all three
(pixels for USPS, features for Fashion and CIFAR) and its best k was 9, 10 and 6 (true 10),
where the judge of partitions, tried first, said k = 4 on USPS test and 2 on CIFAR-10.

`budget` (minutes) bounds the whole job: a backbone whose measured speed would not finish
within half the budget is skipped, and the head stops early when the budget runs out; both are
said in the decisions."""

from __future__ import annotations

import time

import numpy as np

from ..errors import ParameterError
from ..metrics import internal_scores, neighbour_modularity
from ..sampling import subsample
from .result import Decision, Outcome
from .steps import estimate_number, k_decision, model_decision

DIMENSIONS = 50  # principal components each representation is measured and shown in
PCA_ROWS = 10_000  # rows the principal axes are fitted on
NEIGHBOURS = 20
MEASURE_ROWS = 10_000  # rows the modularity is measured on


def measure(z: np.ndarray, max_k: int, seed: int) -> dict[int, float]:
    """k -> modularity of k-means (4 starts) on the neighbour graph of (a sample of) `z`."""
    from sklearn.cluster import KMeans

    from ..deep.head import mine_neighbours

    rows = subsample(z.shape[0], MEASURE_ROWS, seed)
    zs = z[rows]
    neighbours = mine_neighbours(zs, min(NEIGHBOURS, len(zs) - 1))
    out = {}
    for k in range(2, min(max_k, len(zs) - 1) + 1):
        labels = KMeans(k, n_init=4, random_state=seed).fit_predict(zs)
        out[k] = neighbour_modularity(neighbours, labels)
    return out


def _components(x: np.ndarray, seed: int):
    from sklearn.decomposition import PCA

    rows = subsample(x.shape[0], PCA_ROWS, seed)
    pca = PCA(n_components=min(DIMENSIONS, x.shape[1], rows.size - 1), random_state=seed).fit(x[rows])
    return pca, pca.transform(x)


def representations(images: np.ndarray, seed: int, budget_s: float | None, progress=None) -> tuple[dict, list[str]]:
    """name -> (features for the head, their principal components, fitted PCA); and what was skipped."""
    from ..deep.backbones import BACKBONES, features
    from ..prep.encode import pixel_rows, unit_rows

    pca, z = _components(pixel_rows(images), seed)
    out = {"pixels": (z, z, pca)}
    skipped = []
    for name, spec in BACKBONES.items():
        start = time.perf_counter()
        if budget_s is not None:  # time one small batch first, so a slow backbone is known before it runs
            probe = features(images[: min(16, len(images))], name, cache=False)
            per_image = (time.perf_counter() - start) / len(probe)
            if per_image * len(images) > budget_s / 2:
                skipped.append(f"{name}: about {per_image * len(images) / 60:.1f} min for {len(images):,} images, "
                               f"over half the budget")
                continue
        f = features(images, name, progress=progress)
        pca_f, zf = _components(unit_rows(f), seed)
        out[name] = (f, zf, pca_f)
    return out, skipped


def run(dataset, *, max_k: int, seed: int, missing: str, runners_up: int, on_estimate=None,
        budget: float | None = None, progress=None) -> Outcome:
    from ..deep.head import FeatureHead

    if budget is not None and budget <= 0:
        raise ParameterError(f"budget must be a positive number of minutes, got {budget}")
    start = time.perf_counter()
    budget_s = None if budget is None else budget * 60
    timings, decisions = {}, []
    images = np.asarray(dataset.features)
    reps, skipped = representations(images, seed, budget_s, progress)
    timings["representations"] = time.perf_counter() - start
    t = time.perf_counter()
    curves = {name: measure(z, max_k, seed) for name, (_, z, _) in reps.items()}
    best = {name: max(curve, key=curve.get) for name, curve in curves.items()}
    chosen = max(curves, key=lambda n: curves[n][best[n]])
    k_found = int(best[chosen])
    timings["measure"] = time.perf_counter() - t
    said = "; ".join(f"{n}: {curves[n][best[n]]:.3f} at k = {best[n]}" for n in curves)
    decisions.append(Decision("representation", chosen,
                              f"k-means partitions in {chosen} respect the images' {NEIGHBOURS}-nearest-neighbour "
                              f"graph best (highest modularity over k = 2..{max_k}: {said})"
                              + (f"; skipped {'; '.join(skipped)}" if skipped else ""),
                              {n: {str(k): round(v, 4) for k, v in curves[n].items()} for n in curves}))
    t = time.perf_counter()
    z_chosen = reps[chosen][1]
    consensus = estimate_number(z_chosen, max_k, seed, on_estimate)  # shown beside, as for tables
    timings["k"] = time.perf_counter() - t
    agree = "agrees" if consensus.k == k_found else f"said k = {consensus.k}"
    decisions.append(k_decision(consensus, [f"k = {k_found}, where the modularity of {chosen} peaks "
                                            f"({', '.join(f'{k}: {v:.3f}' for k, v in curves[chosen].items())}); "
                                            f"the consensus {agree}"],
                                {"modularity_k": k_found}, k_found))
    head_input, z, pca = reps[chosen]
    left = None if budget_s is None else max(budget_s - (time.perf_counter() - start), 10.0)
    t = time.perf_counter()
    head = FeatureHead(k_found, random_state=seed, time_limit=left).fit(head_input)
    timings["head"] = time.perf_counter() - t
    labels = head.labels_
    decisions.append(Decision("algorithm", "clustering head",
                              f"SCAN-style head on {chosen} ({head_input.shape[1]} dimensions): 20 neighbours mined per "
                              f"image, best of 5 heads by SCAN loss, {head.self_labelled_:.0%} of the images "
                              f"self-labelled" + ("; stopped early by the budget" if head.stopped_early_ else ""),
                              {"scan_losses": [round(v, 4) for v in head.scan_losses_]}))
    confidence = head.predict_proba(head_input).max(axis=1)
    from ..fitted import fitted_model
    from ..prep.saved import InputSteps

    t = time.perf_counter()
    steps = InputSteps.of_images(dataset, None if chosen == "pixels" else chosen, pca)
    model = fitted_model(steps, None, z, labels, "clustering head", seed)
    outlier = model.placement.training.outlier
    timings["model"] = time.perf_counter() - t
    decisions.append(model_decision(model))
    return Outcome(labels=labels, algorithm="clustering head", k=int(np.unique(labels).size), decisions=decisions,
                   internal=internal_scores(z, labels, seed=seed), candidates=[], confidence=confidence,
                   confidence_kind="the head's probability of the cluster", space=z,
                   notes=[f"representation: {chosen}"], autok=consensus.to_dict(),
                   consensus=consensus, timings=timings, model=model, outlier=outlier)
