import sys
from pathlib import Path

import numpy as np
import pytest

from clusterlab.errors import DataError
from clusterlab.recommend.metafeatures import NAMES, metafeatures

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from baselines import INDICES, MetaKNN, best, best_k, run_grid, score_partition  # noqa: E402


def test_metafeatures_are_finite_and_named(blobs):
    x, _ = blobs
    f = metafeatures(x)
    assert f.shape == (len(NAMES),) and np.isfinite(f).all()
    assert metafeatures(x).tolist() == f.tolist()  # seeded
    # clustered data lies far from uniform: Hopkins near 1; uniform noise near 0.5
    assert f[NAMES.index("hopkins")] > 0.8
    u = metafeatures(np.random.default_rng(0).uniform(size=(300, 2)))
    assert 0.35 < u[NAMES.index("hopkins")] < 0.65
    with pytest.raises(DataError, match="at least 3 rows"):
        metafeatures(np.zeros((2, 2)))


def test_metaknn_recommends_what_worked_on_similar_datasets():
    rng = np.random.default_rng(0)
    feats = np.vstack([rng.normal(0, 0.1, (20, 3)), rng.normal(5, 0.1, (20, 3))])
    ari = np.vstack([np.tile([0.9, 0.1], (20, 1)), np.tile([0.2, 0.8], (20, 1))])
    knn = MetaKNN(5).fit(feats, ari, ("a", "b"))
    assert knn.rank(np.array([0.0, 0.0, 0.0]))[0][0] == "a"
    assert knn.rank(np.array([5.0, 5.0, 5.0]))[0][0] == "b"


def test_validity_index_selection_over_a_grid(blobs):
    x, _ = blobs
    grid = run_grid(x, ["kmeans", "single"], range(2, 6))
    assert len(grid) == 8 and all(set(c.scores) == set(INDICES) for c in grid)
    for index in INDICES:
        assert best(grid, index).k == 3
    assert best_k(x, "kmeans", range(2, 8)) == 3 and best_k(x, "hdbscan", range(2, 8)) is None


def test_unscorable_partitions_never_win(blobs):
    x, _ = blobs
    assert all(np.isnan(v) for v in score_partition(x, np.zeros(len(x), dtype=int)).values())
    assert all(np.isnan(v) for v in score_partition(x, -np.ones(len(x), dtype=int)).values())
