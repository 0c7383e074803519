import numpy as np
import pytest
from scipy.spatial.distance import cdist

from clusterlab.algorithms import REGISTRY, fit_predict, get, names
from clusterlab.errors import DataError, NotFoundError, ParameterError, TooLargeError
from clusterlab.metrics import ari


@pytest.mark.parametrize("name", names("matrix"))
def test_every_entry_clusters_easy_blobs(name, blobs):
    x, y = blobs
    spec = REGISTRY[name]
    result = fit_predict(name, x, 3 if spec.needs_k else None, seed=0)
    assert result.labels.shape == (150,)
    if spec.needs_k:
        assert result.n_clusters == 3
    if spec.noise:  # density methods may call the thin edge of a blob noise, but little of it
        kept = result.labels >= 0
        assert kept.mean() > 0.85 and ari(y[kept], result.labels[kept]) > 0.95
    else:
        assert ari(y, result.labels) > 0.9, f"{name} on three separated blobs"
    assert result.seconds >= 0 and result.params


@pytest.mark.parametrize("name", [n for n, s in REGISTRY.items() if s.precomputed])
def test_precomputed_distance_entries(name, blobs):
    x, y = blobs
    d = cdist(x, x)
    result = fit_predict(name, d, 3 if get(name).needs_k else None, precomputed=True)
    kept = result.labels >= 0
    assert kept.mean() > 0.85 and ari(y[kept], result.labels[kept]) > 0.95


def test_same_seed_same_labels(blobs):
    x, _ = blobs
    a = fit_predict("kmedians", x, 3, seed=4).labels
    b = fit_predict("kmedians", x, 3, seed=4).labels
    assert np.array_equal(a, b)


def test_data_driven_defaults_are_reported(blobs):
    x, _ = blobs
    r = fit_predict("dbscan", x)
    assert r.params["eps"] > 0 and r.params["min_samples"] >= 3
    assert fit_predict("dbscan", x, eps=0.5).params["eps"] == 0.5


def test_spec_fields_are_complete():
    for spec in REGISTRY.values():
        assert spec.cost in ("linear", "n log n", "quadratic")
        assert (spec.max_n is None) == (spec.alternative is None)
    assert set(REGISTRY) >= {"kmeans", "kmedians", "kmedoids", "minibatch_kmeans", "ward", "average", "complete",
                             "single", "spectral", "gmm", "birch", "dbscan", "hdbscan", "optics", "meanshift",
                             "affinity_propagation", "genie"}


def test_bad_requests(blobs):
    x, _ = blobs
    with pytest.raises(NotFoundError, match="unknown algorithm 'kmeens'.*kmeans"):
        fit_predict("kmeens", x, 3)
    with pytest.raises(ParameterError, match="k=151 exceeds the number of rows"):
        fit_predict("kmeans", x, 151)
    with pytest.raises(ParameterError, match="needs the number of clusters"):
        fit_predict("ward", x)
    with pytest.raises(ParameterError, match="no parameter colour.*n_init"):
        fit_predict("kmeans", x, 3, colour="red")
    with pytest.raises(DataError, match="only 1 row"):
        fit_predict("kmeans", x[:1], 2)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DataError, match="row 3, column 1"):
        fit_predict("kmeans", bad, 3)
    with pytest.raises(ParameterError, match="cannot take a precomputed distance"):
        fit_predict("kmeans", cdist(x, x), 3, precomputed=True)


def test_quadratic_algorithms_refuse_large_n_before_allocating():
    x = np.zeros((REGISTRY["affinity_propagation"].max_n + 1, 2))
    with pytest.raises(TooLargeError, match="use kmedoids or hdbscan instead"):
        fit_predict("affinity_propagation", x)


@pytest.mark.parametrize("name", [n for n, s in REGISTRY.items() if s.needs_k and s.input == "matrix"])
def test_one_feature_data(name):
    x = np.concatenate([np.zeros(20), np.full(20, 10.0)])[:, None] + np.linspace(0, 0.5, 40)[:, None]
    assert ari(np.repeat([0, 1], 20), fit_predict(name, x, 2).labels) == 1.0
