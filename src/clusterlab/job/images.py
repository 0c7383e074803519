"""The main job on images: a representation chosen by measurement, k found on it, the clustering
head on it.

Representations: the pixels (scaled to [0, 1], principal components), and each pretrained
backbone's features (`deep.backbones`, L2-normalised, principal components), the features
cached on disk so a second run starts at once. Each is measured without labels the same way:
the judge of partitions ranks its candidate partitions (`choice.rank`) and expects an ARI of its
best; the representation whose best is expected highest is taken, with that candidate's k
(the judge's k), unless the user gives k. Then the SCAN-style head (`deep.head`) clusters the
chosen representation at that k. `budget` (minutes) bounds the whole job: a backbone whose
measured speed would not finish within half the budget is skipped, and the head stops early
when the budget runs out; both are said in the decisions."""

from __future__ import annotations

import time

import numpy as np

from ..choice import rank
from ..errors import ParameterError
from ..metrics import internal_scores
from ..sampling import subsample
from .result import Decision, Outcome
from .steps import estimate_number, k_decision, model_decision

DIMENSIONS = 50  # principal components each representation is measured and shown in
PCA_ROWS = 10_000  # rows the principal axes are fitted on


def _components(x: np.ndarray, seed: int):
    from sklearn.decomposition import PCA

    rows = subsample(x.shape[0], PCA_ROWS, seed)
    pca = PCA(n_components=min(DIMENSIONS, x.shape[1], rows.size - 1), random_state=seed).fit(x[rows])
    return pca, pca.transform(x)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def representations(images: np.ndarray, seed: int, budget_s: float | None, progress=None) -> tuple[dict, list[str]]:
    """name -> (features for the head, their principal components, fitted PCA); and what was skipped."""
    from ..deep.backbones import BACKBONES, features

    flat = images.reshape(len(images), -1).astype(np.float64)
    flat = flat / 255.0 if images.dtype == np.uint8 else flat
    pca, z = _components(flat, seed)
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
        unit = _unit(f)
        pca_f, zf = _components(unit, seed)
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
    measured = {}
    t = time.perf_counter()
    for name, (_, z, _) in reps.items():
        consensus = estimate_number(z, max_k, seed, on_estimate)
        ranked = rank(z, max_k, consensus, None, seed)
        if ranked is None:  # no usable judge: the consensus alone, the representations unmeasured
            measured[name] = (float("nan"), consensus.k, consensus, None)
            continue
        best = ranked.cset.candidates[ranked.best]
        measured[name] = (float(ranked.scores[ranked.best]), best.found_k, consensus, ranked)
    timings["measure"] = time.perf_counter() - t
    usable = {n: m for n, m in measured.items() if np.isfinite(m[0])}
    # Without a judge nothing is measured: a pretrained backbone where one ran, else the pixels.
    chosen = max(usable, key=lambda n: usable[n][0]) if usable else list(reps)[-1]
    expected, judge_k, consensus, ranked = measured[chosen]
    said = "; ".join(f"{n}: expected ARI {m[0]:.2f} at k = {m[1]}" for n, m in measured.items())
    decisions.append(Decision("representation", chosen,
                              f"the judge of partitions expects the most of the best partition in {chosen} ({said})"
                              + (f"; skipped {'; '.join(skipped)}" if skipped else ""),
                              {n: round(m[0], 4) for n, m in measured.items()}))
    k_found = int(judge_k)
    decisions.append(k_decision(consensus, [f"k = {k_found} of the judge's best partition in {chosen}"],
                                {"judge_k": k_found}, k_found))
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
    outlier = model.placement.place(z).outlier
    timings["model"] = time.perf_counter() - t
    decisions.append(model_decision(model))
    candidates = [ranked.row(i) for i in ranked.order[: 1 + runners_up]] if ranked is not None else []
    recommendation = {}
    if ranked is not None:  # what the judge saw in the chosen representation, as the report shows it
        recommendation["judge"] = {"candidates": [ranked.row(i) for i in ranked.order],
                                   "interval": list(ranked.judge.bounds(expected, ranked.features[ranked.best])),
                                   "trained_on": ranked.judge.trained_on, "representation": chosen,
                                   "representations": {n: {"expected": m[0], "k": m[1]} for n, m in measured.items()}}
    return Outcome(labels=labels, algorithm="clustering head", k=int(np.unique(labels).size), decisions=decisions,
                   internal=internal_scores(z, labels, seed=seed), candidates=candidates, confidence=confidence,
                   confidence_kind="the head's probability of the cluster", space=z,
                   notes=[f"representation: {chosen}"], autok=consensus.to_dict(),
                   recommendation=recommendation,
                   consensus=consensus, timings=timings, model=model, outlier=outlier)
