import numpy as np
import pytest

from clusterlab.algorithms import fit_predict
from clusterlab.data.synthetic import SHAPES, SyntheticSpec, generate, sample_spec
from clusterlab.errors import ParameterError
from clusterlab.metrics import ari


def test_same_spec_same_points_and_row_order_carries_nothing():
    spec = SyntheticSpec("gaussian", 300, 4, 3, seed=7, separation=3.0)
    a, b = generate(spec), generate(spec)
    assert np.array_equal(a.features, b.features) and np.array_equal(a.truth, b.truth)
    assert not np.array_equal(a.truth, np.sort(a.truth))  # shuffled, not grouped by cluster
    assert a.meta["spec"]["seed"] == 7


def test_separation_controls_difficulty():
    far = generate(SyntheticSpec("gaussian", 600, 5, 4, seed=1, separation=4.0))
    near = generate(SyntheticSpec("gaussian", 600, 5, 4, seed=1, separation=0.4))
    score = lambda d: ari(d.truth, fit_predict("gmm", d.features, 4).labels)  # noqa: E731
    assert score(far) > 0.95 > score(near)


@pytest.mark.parametrize("shape", SHAPES)
def test_shapes_have_k_clusters_that_genie_can_follow(shape):
    d = generate(SyntheticSpec("shapes", 600, 2, 3, seed=2, shape=shape, jitter=0.02))
    assert set(np.unique(d.truth)) == {0, 1, 2} and d.features.shape == (600, 2)
    if shape in ("rings", "blobs_ring"):  # well separated by construction
        assert ari(d.truth, fit_predict("genie", d.features, 3).labels) > 0.9


def test_noise_and_uninformative_dimensions():
    d = generate(SyntheticSpec("gaussian", 500, 10, 3, seed=3, noise=0.1, informative=2))
    assert d.features.shape == (550, 10) and (d.truth == -1).sum() == 50
    assert d.n_clusters_true == 3


def test_imbalance_gives_unequal_sizes():
    d = generate(SyntheticSpec("gaussian", 1000, 2, 5, seed=4, imbalance=0.8))
    sizes = np.bincount(d.truth)
    assert sizes.sum() == 1000 and sizes.max() > 2 * sizes.min()


def test_sampled_specs_are_valid_and_varied():
    rng = np.random.default_rng(0)
    specs = [sample_spec(rng, seed=i) for i in range(60)]
    assert {s.family for s in specs} == {"gaussian", "shapes"}
    assert len({s.k for s in specs}) > 4 and any(s.noise for s in specs) and any(s.informative for s in specs)
    for s in specs[:10]:
        d = generate(s)
        assert d.n_clusters_true == s.k and np.isfinite(d.features).all()


def test_bad_specs():
    with pytest.raises(ParameterError, match="family='tree'"):
        generate(SyntheticSpec("tree", 100, 2, 2, seed=0))
    with pytest.raises(ParameterError, match="shape='star'"):
        generate(SyntheticSpec("shapes", 100, 2, 2, seed=0, shape="star"))
    with pytest.raises(ParameterError, match="n >= 2k"):
        generate(SyntheticSpec("gaussian", 5, 2, 4, seed=0))
