"""Candidate partitions (shared work gives what separate fits give) and their label-free features."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from clusterlab.algorithms import fit_predict
from clusterlab.choice import FEATURES, candidate_features, generate
from clusterlab.choice.candidates import Candidate, CandidateSet
from clusterlab.metrics import pairwise_ari


@pytest.fixture(scope="module")
def four_blobs():
    rng = np.random.default_rng(3)
    centres = np.array([[0, 0], [8, 0], [0, 8], [8, 8], [4, 16]], dtype=float)
    sizes = [60, 40, 50, 30, 45]
    x = np.vstack([c + rng.normal(scale=[1.0, 0.6], size=(s, 2)) for c, s in zip(centres, sizes)])
    return x, np.repeat(np.arange(5), sizes)


@pytest.mark.parametrize("name", ["ward", "average", "complete", "single", "genie", "spectral"])
def test_shared_work_gives_the_partitions_of_separate_fits(four_blobs, name):
    x, _ = four_blobs
    cset = generate(x, range(2, 8), seed=0, algorithms=[name])
    assert [c.k for c in cset.candidates] == list(range(2, 8)) and cset.rows.size == len(x)
    for c in cset.candidates:
        alone = fit_predict(name, x, c.k, seed=0).labels
        assert adjusted_rand_score(alone, c.labels) == pytest.approx(1.0), (name, c.k)


def test_candidates_cover_the_registry_and_say_what_they_skip(four_blobs):
    from clusterlab.algorithms import names

    x, y = four_blobs
    cset = generate(x, range(2, 7), seed=0)
    made = {c.algorithm for c in cset.candidates}
    assert made | set(cset.skipped) == set(names("matrix"))
    assert {c.algorithm for c in cset.candidates if c.k is None} == {"hdbscan", "dbscan"}
    assert max(adjusted_rand_score(y, c.labels) for c in cset.candidates) > 0.95
    big = np.random.default_rng(0).normal(size=(5000, 3))
    sampled = generate(big, [2, 3], seed=1, algorithms=["kmeans", "ward"])
    assert sampled.rows.size == 2000 and all(c.labels.size == 2000 for c in sampled.candidates)


def test_agreement_is_the_adjusted_rand_index_with_noise_as_a_group():
    rng = np.random.default_rng(0)
    parts = [rng.integers(-1, 4, 300) for _ in range(4)] + [np.zeros(300, dtype=int)]
    expected = np.array([[adjusted_rand_score(a, b) for b in parts] for a in parts])
    assert np.allclose(pairwise_ari(parts), expected)


def test_features_of_hand_made_partitions(four_blobs):
    x, y = four_blobs
    rng = np.random.default_rng(1)
    truth = Candidate("truth", 5, {}, y)
    shuffled = Candidate("shuffled", 5, {}, rng.permutation(y))
    halves = Candidate("halves", 2, {}, (x[:, 1] > 6).astype(int))
    noisy = Candidate("noise", None, {}, np.where(np.arange(len(y)) % 4 == 0, -1, y))
    cset = CandidateSet(np.arange(len(y)), [truth, shuffled, halves, noisy])
    f = candidate_features(x, cset, consensus_votes={5: 3.0, 2: 1.0}, consensus_k=5,
                           recommender={"truth": 0.9})
    assert all(set(row) == set(FEATURES) for row in f)
    t, s, h, nz = f
    assert t["silhouette"] > 0.5 > s["silhouette"] and t["silhouette_rank"] > s["silhouette_rank"]
    best = max(f, key=lambda row: row["silhouette"])
    assert best["silhouette_rank"] == 1.0 and best["silhouette_gap"] == 0.0 and s["silhouette_gap"] < -0.5
    assert s["davies_bouldin_rank"] < t["davies_bouldin_rank"]
    assert t["size_entropy"] > 0.95 and t["smallest_share"] == pytest.approx(30 / 225)
    assert h["k"] == 2 and h["consensus_vote"] == pytest.approx(0.25) and t["consensus_vote"] == pytest.approx(0.75)
    assert t["log_k_over_consensus"] == 0.0 and t["recommender_ari"] == 0.9 and np.isnan(h["recommender_ari"])
    assert nz["noise_share"] == pytest.approx(0.25, abs=0.01)
    assert t["agreement_best_other_algorithm"] > 0.5 and abs(s["agreement_mean"]) < 0.1


def test_the_choice_passes_over_singletons_and_prefers_fewer_clusters():
    from clusterlab.choice import choose

    scores = np.array([0.90, 0.95, 0.94, 0.50])
    ks = np.array([3, 9, 4, 2])
    smallest = np.array([0.2, 0.005, 0.1, 0.4])
    assert choose(scores, ks, 0.0) == 1  # the best, singletons and all
    assert choose(scores, ks, 0.0, smallest, 0.01) == 2  # no cluster under 1 % of the rows
    assert choose(scores, ks, 0.05, smallest, 0.01) == 0  # within 0.05 of the best: the fewest clusters
    assert choose(scores, ks, 0.0, np.zeros(4), 0.01) == 1  # nothing readable left: the best of all
    assert choose(np.array([0.9, 0.89]), np.array([2, 0]), 0.05) == 0  # all noise is no partition


def test_a_corrupt_or_foreign_judge_is_a_clear_error(tmp_path):
    import json

    from clusterlab.choice import Judge
    from clusterlab.errors import DataError

    good = Judge.load().to_dict()
    cases = {"bytes": b"\x00\x01garbage", "list": b"[1, 2]", "short": json.dumps({**good, "coef": [1.0]}).encode(),
             "nan": json.dumps({**good, "intercept": float("nan")}).encode(),
             "foreign": json.dumps({**good, "features": ["colour"] + good["features"][1:]}).encode()}
    for name, data in cases.items():
        (tmp_path / f"{name}.json").write_bytes(data)
        with pytest.raises(DataError):
            Judge.load(tmp_path / f"{name}.json")


def test_the_judge_is_the_ridge_it_claims_to_be():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from clusterlab.choice import fit_judge

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(FEATURES)))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = rng.normal(size=400)
    pipeline = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), Ridge(alpha=1.0)).fit(x, y)
    assert np.allclose(fit_judge(x, y).score(x), pipeline.predict(x))


@pytest.mark.parametrize("method", ["shift", "quantile"])
def test_a_calibrated_interval_holds_about_80_percent_of_fresh_draws(method):
    from clusterlab.choice.calibration import Calibration, fit_calibration

    def draw(n, seed):
        rng = np.random.default_rng(seed)
        agreement = rng.random(n)
        expected = rng.uniform(0, 1, n)
        noise = rng.normal(size=n) * (0.05 + 0.3 * (1 - agreement))  # settled choices err less
        rows = [{"agreement_mean": a, "silhouette": 0.5} for a in agreement]
        return expected, np.clip(expected + noise, -1, 1), rows

    cal = fit_calibration(method, *draw(600, 0))
    expected, ari, rows = draw(4000, 1)
    low, high = cal.bounds(expected, rows)
    inside = np.mean((ari >= low) & (ari <= high))
    assert 0.75 <= inside <= 0.85
    assert np.all(low <= expected) and np.all(high >= expected)
    again = Calibration.from_dict(cal.to_dict())
    assert np.allclose(again.bounds(expected, rows)[0], low)
    if method == "quantile":  # narrower where the candidates agree
        settled = [{"agreement_mean": 1.0, "silhouette": 0.5}]
        unsettled = [{"agreement_mean": 0.0, "silhouette": 0.5}]
        width = [float(np.subtract(*cal.bounds(0.5, r)[::-1])[0]) for r in (settled, unsettled)]
        assert width[0] < width[1]


def test_a_judge_with_a_broken_calibration_is_a_clear_error(tmp_path):
    import json

    from clusterlab.choice import Judge
    from clusterlab.errors import DataError

    good = Judge.load().to_dict()
    for bad in ({"method": "guess", "low": [0], "high": [0]}, {"method": "quantile", "low": [0.1], "high": [0.2]}):
        (tmp_path / "j.json").write_text(json.dumps({**good, "calibration": bad}))
        with pytest.raises(DataError, match="calibration"):
            Judge.load(tmp_path / "j.json")
    old = {k: v for k, v in good.items() if k != "calibration"}  # a judge.json of the first session
    (tmp_path / "old.json").write_text(json.dumps({**old, "interval": [-0.3, 0.2]}))
    assert Judge.load(tmp_path / "old.json").bounds(0.5) == pytest.approx((0.2, 0.7))


def test_the_benchmark_never_lets_a_dataset_score_itself(monkeypatch):
    """benchmarks/choice.py: every dataset is scored by a judge whose training rows exclude its fold."""
    import sys
    from pathlib import Path

    import pandas as pd

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import choice as bench

    rng = np.random.default_rng(0)
    rows = []
    for battery, names in (("wut", "ab"), ("fcps", "cd"), ("tabular", "efg")):
        for name in names:
            for k in (2, 3, 4):
                rows.append({"battery": battery, "dataset": name, "k": k, "smallest_share": 0.3, "ari": rng.random(),
                             **{f: rng.normal() for f in FEATURES}})
    frame = pd.DataFrame(rows)
    seen = []

    class Spy(bench._JudgeModel):
        def fit(self, x, y):
            seen.append({tuple(np.round(r, 12)) for r in x})
            return super().fit(x, y)

    fold_of = pd.Series(bench.folds(frame), index=frame.index)
    scored = ["wut", "fcps", "tabular/e", "tabular/f", "tabular/g"]
    picks = bench.judge_choices(frame, Spy, fold_of, scored)
    assert len(picks) == 7 and len(seen) == len(scored)
    for fold, trained in zip(scored, seen):
        own = frame.loc[fold_of == fold, list(FEATURES)].to_numpy()
        assert not {tuple(np.round(r, 12)) for r in own} & trained
        assert len(trained) == int((fold_of != fold).sum())
