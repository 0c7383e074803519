import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_circles

from clusterlab.autok import (ESTIMATORS, KEstimate, choose_leaders, combine, decide, estimate_k, make_context,
                              reliability, vote_weight)
from clusterlab.errors import DataError, NotFoundError, ParameterError


def separated_blobs(k: int, d: int, n_per: int = 80, sizes=None, seed: int = 0) -> np.ndarray:
    """k unit-variance Gaussian blobs with centres at least 12 apart, placed at random."""
    rng = np.random.default_rng(seed)
    centres = [rng.uniform(-20, 20, d)]
    while len(centres) < k:
        c = rng.uniform(-20, 20, d)
        if min(np.linalg.norm(c - o) for o in centres) >= 12:
            centres.append(c)
    counts = sizes or [n_per] * k
    return np.vstack([centres[i] + rng.normal(size=(counts[i], d)) for i in range(k)])


@pytest.mark.parametrize("k,d", [(2, 2), (4, 2), (6, 5), (3, 10)])
def test_consensus_on_separated_blobs(k, d):
    result = estimate_k(separated_blobs(k, d, seed=k + d), max_k=10, seed=0)
    assert result.k == k
    right = [e.method for e in result.estimates if e.k == k]
    assert len(right) >= 6, {e.method: e.k for e in result.estimates}


@pytest.mark.parametrize("method", sorted(ESTIMATORS))
def test_each_estimator_on_four_blobs(method):
    x = separated_blobs(4, 3, seed=1)
    result = estimate_k(x, methods=[method], max_k=8)
    e = result.estimates[0]
    assert e.method == method and e.curve and e.seconds >= 0
    if method != "elbow":  # the knee of inertia is known to run early on few clusters
        assert e.k == 4, (method, e.k, e.curve)


def test_unequal_sizes():
    x = separated_blobs(3, 2, sizes=[300, 60, 20], seed=2)
    assert estimate_k(x, max_k=8).k == 3


def test_rings_are_found_by_the_graph_estimator():
    x, _ = make_circles(600, factor=0.4, noise=0.03, random_state=0)
    ring = estimate_k(x, methods=["eigengap"], max_k=8)
    assert ring.k == 2


def test_density_estimator_follows_shapes_and_abstains_without_structure():
    rings, _ = make_circles(800, factor=0.4, noise=0.03, random_state=0)
    assert estimate_k(rings, methods=["hdbscan"], max_k=8).k == 2
    three = separated_blobs(3, 2, sizes=[400, 120, 40], seed=3)  # unequal sizes, no convexity needed
    found = estimate_k(three, methods=["hdbscan"], max_k=8).estimates[0]
    assert found.k == 3 and set(found.curve.values()) >= {3.0}
    one = np.random.default_rng(0).normal(size=(600, 3))
    blank = estimate_k(one, methods=["hdbscan", "gap"], max_k=8)
    density = blank.estimates[0]
    assert density.k is None and density.note  # abstains, does not vote 2
    assert blank.k == blank.estimates[1].k  # the consensus goes on without it


def test_one_cluster_stays_at_the_bottom_of_the_range():
    x = np.random.default_rng(0).normal(size=(400, 3))
    result = estimate_k(x, methods=["gmeans", "prediction_strength", "xmeans"], max_k=8)
    assert result.k == 2  # the smallest k allowed: no estimator invents structure
    assert any("one" in e.note for e in result.estimates)


def test_all_rows_equal_is_a_clear_error():
    with pytest.raises(ParameterError, match="1 distinct"):
        estimate_k(np.ones((50, 3)))


def test_degenerate_inputs():
    with pytest.raises(DataError, match="at least 3"):
        estimate_k(np.zeros((2, 2)))
    with pytest.raises(DataError, match="NaN"):
        estimate_k(np.array([[0.0], [np.nan], [1.0], [2.0]]))
    with pytest.raises(ParameterError, match="empty"):
        estimate_k(np.random.default_rng(0).normal(size=(20, 2)), min_k=5, max_k=3)
    with pytest.raises(NotFoundError, match="unknown k estimator 'guess'"):
        estimate_k(np.random.default_rng(0).normal(size=(20, 2)), methods=["guess"])


def test_sampling_bounds_work_and_is_seeded():
    x, _ = make_blobs(20000, centers=5, n_features=4, cluster_std=0.6, center_box=(-30, 30), random_state=3)
    a = estimate_k(x, methods=["silhouette", "calinski_harabasz"], sample_size=500, seed=1)
    b = estimate_k(x, methods=["silhouette", "calinski_harabasz"], sample_size=500, seed=1)
    assert a.sample_size == 500 and a.n == 20000 and a.k == b.k == 5
    assert a.estimates[0].curve == b.estimates[0].curve
    ctx = make_context(x, 2, 30, sample_size=100)
    assert ctx.ks[-1] == 30 and ctx.x.shape[0] == 100


def test_weighted_vote():
    est = [KEstimate("a", 3, {}, 0.0), KEstimate("b", 3, {}, 0.0), KEstimate("c", 5, {}, 0.0)]
    assert combine(est, {"a": 1, "b": 1, "c": 1})[0] == 3
    assert combine(est, {"a": 0.5, "b": 0.5, "c": 2.0})[0] == 5
    # an estimator at chance level (1 / K) carries no weight; a reliable one carries much
    assert vote_weight(0.1, 10) == pytest.approx(0.0, abs=1e-9)
    assert vote_weight(0.6, 10) > vote_weight(0.3, 10) > 0


def test_leader_overrules_the_vote_only_when_it_votes():
    est = [KEstimate("a", 2, {}, 0.0), KEstimate("b", 2, {}, 0.0), KEstimate("lead", 5, {}, 0.0)]
    weights = {"a": 1.0, "b": 1.0, "lead": 1.5}
    assert decide(est, weights)[0] == 2
    k, votes, decided_by, vote_k = decide(est, weights, "lead")
    assert (k, decided_by, vote_k) == (5, "lead", 2) and votes == {2: 2.0, 5: 1.5}
    abstaining = est[:2] + [KEstimate("lead", None, {}, 0.0)]
    k, _, decided_by, _ = decide(abstaining, weights, "lead")
    assert (k, decided_by) == (2, "vote")


def test_leaders_are_chosen_by_their_record_against_the_vote():
    def dataset(dims, truth, ks):
        return dims, truth, [KEstimate(m, k, {}, 0.0) for m, k in zip("abc", ks)]

    weights = {"a": 1.0, "b": 1.0, "c": 1.5}
    # in 2 dimensions c is right three times where a and b outvote it, and never wrong alone
    low = [dataset(2, 4, (2, 2, 4))] * 3 + [dataset(2, 3, (3, 3, 3)), dataset(2, 3, (3, 3, None))]
    # in 10 dimensions c wins once and loses twice: no leader there
    high = [dataset(10, 3, (3, 3, 5))] * 2 + [dataset(10, 4, (2, 2, 4))]
    assert choose_leaders(low + high, weights) == {0: {"method": "c", "wins": 3, "losses": 0, "datasets": 5}}
    assert choose_leaders(low + high, weights, margin=4) == {}


def test_the_shipped_leader_decides_low_dimensional_data_only():
    leaders = reliability().get("leaders", {})
    assert all(v["method"] in ESTIMATORS and v["wins"] - v["losses"] >= 2 for v in leaders.values())
    flat = estimate_k(separated_blobs(4, 2, seed=1), max_k=8)
    wide = estimate_k(separated_blobs(4, 6, seed=1), max_k=8)
    assert flat.k == wide.k == 4 and wide.decided_by == "vote"
    assert flat.decided_by == leaders["0"]["method"]
    assert any("leads in data of at most 3 dimensions" in note for note in flat.notes)
    assert flat.to_dict()["decided_by"] == flat.decided_by and flat.to_dict()["vote_k"] == 4


def test_wide_data_is_projected_and_said_so():
    rng = np.random.default_rng(5)
    centres = rng.normal(scale=6.0, size=(3, 200))
    x = np.vstack([c + rng.normal(size=(100, 200)) for c in centres])
    result = estimate_k(x, methods=["silhouette", "eigengap"], max_k=6)
    assert result.k == 3
    assert any("principal components" in note for note in result.notes)


def test_progress_callback_sees_every_estimator():
    seen = []
    estimate_k(separated_blobs(3, 2, seed=9), methods=["gap", "eigengap", "silhouette"], max_k=6,
               on_estimate=lambda e, done, total: seen.append((e.method, done, total)))
    assert seen == [("gap", 1, 3), ("eigengap", 2, 3), ("silhouette", 3, 3)]
