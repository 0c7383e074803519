"""Gower distance (prep.gower) and the table algorithms that cluster on it (algorithms.mixed)."""

import numpy as np
import pandas as pd
import pytest

from clusterlab.algorithms import REGISTRY, fit_predict, names
from clusterlab.algorithms.mixed import GowerKMedoids, medoid_silhouette
from clusterlab.errors import DataError, ParameterError
from clusterlab.metrics import ari
from clusterlab.prep.gower import encode_like, gower_blocks, gower_data, gower_matrix, gower_topk

# cluster::flower (Struyf, Hubert & Rousseeuw 1996): V1-V3 binary, V4 nominal, V5-V6 ordered, V7-V8 numeric.
FLOWER = """0 1 1 4 3 15 25 15|1 0 0 2 1 3 150 50|0 1 0 3 3 1 150 50|0 0 1 4 2 16 125 50|0 1 0 5 2 2 20 15
0 1 0 4 3 12 50 40|0 0 0 1 2 13 40 20|0 0 1 3 1 7 100 15|1 1 0 4 3 4 25 15|1 1 1 2 2 14 100 60
1 1 1 3 3 8 45 10|1 1 0 1 2 9 90 25|1 1 0 3 3 6 20 10|1 1 1 4 2 11 80 30|1 0 0 2 2 10 40 20
1 0 0 3 1 18 200 60|1 0 0 1 2 17 150 60|0 0 0 1 2 5 25 10"""


@pytest.fixture
def flower():
    rows = [r.split() for r in FLOWER.replace("\n", "|").split("|")]
    frame = pd.DataFrame(np.array(rows, dtype=int), columns=[f"V{i}" for i in range(1, 9)])
    for c in ["V1", "V2", "V4"]:
        frame[c] = frame[c].astype(str)
    return frame


def _flower_gower(frame, **kw):
    return gower_data(frame, numeric=["V7", "V8"], categorical=["V1", "V2", "V3", "V4"],
                      ordinal={"V5": [1, 2, 3], "V6": list(range(1, 19))}, **kw)


def test_flower_matches_daisy(flower):
    # as.matrix(daisy(flower))[1:3, 1:3], as printed by R's cluster package
    d = gower_matrix(_flower_gower(flower))
    expected = np.array([[0, 0.8875408, 0.5272467], [0.8875408, 0, 0.5147059], [0.5272467, 0.5147059, 0]])
    assert np.allclose(d[:3, :3], expected, atol=1e-6)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0)


def test_asymmetric_binary_drops_joint_absence(flower):
    # rows 2 and 3 both have V3 = 0: with V3 asymmetric it leaves their average (8 -> 7 features);
    # rows 1 and 2 (V3 = 1 vs 0) keep it.
    sym = gower_matrix(_flower_gower(flower))
    asym = gower_matrix(_flower_gower(flower, asymmetric=["V3"]))
    assert asym[1, 2] == pytest.approx(sym[1, 2] * 8 / 7, abs=1e-6)
    assert asym[0, 1] == pytest.approx(sym[0, 1], abs=1e-6)


def test_missing_cells_and_weights_by_hand():
    frame = pd.DataFrame({"x": [0.0, 10.0, np.nan, 5.0], "c": ["a", "b", "a", None], "z": [1.0, 1.0, 3.0, 2.0]})
    g = gower_data(frame, weights={"x": 2.0, "c": 1.0, "z": 0.5})
    d = gower_matrix(g)
    # rows 0, 1: x |0-10|/10 = 1 (w 2), c mismatch 1 (w 1), z 0 (w .5): (2 + 1 + 0) / 3.5
    assert d[0, 1] == pytest.approx(3 / 3.5, abs=1e-6)
    # rows 0, 2: x missing -> dropped; c match 0 (w 1); z |1-3|/2 = 1 (w .5): .5 / 1.5
    assert d[0, 2] == pytest.approx(0.5 / 1.5, abs=1e-6)
    # rows 2, 3: x and c missing -> only z: |3-2|/2 = .5
    assert d[2, 3] == pytest.approx(0.5, abs=1e-6)
    # a pair without any shared observed feature has no distance
    lone = gower_matrix(gower_data(pd.DataFrame({"x": [1.0, np.nan], "c": [None, "a"]})))
    assert np.isnan(lone[0, 1])


def test_agrees_with_the_gower_package():
    gower = pytest.importorskip("gower")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.integers(0, 9, 60).astype(float),
                          "c": rng.choice(["x", "y", "z"], 60), "d": rng.choice(["p", "q"], 60)})
    frame = frame.astype({"c": object, "d": object})  # the gower package knows no pandas string dtype
    assert np.allclose(gower_matrix(gower_data(frame)), gower.gower_matrix(frame), atol=1e-6)


def test_blocks_and_topk_agree_with_the_full_matrix():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"a": rng.normal(size=120), "c": rng.choice(list("abcd"), 120)})
    frame.loc[::7, "a"] = np.nan
    g = gower_data(frame)
    full = gower_matrix(g)
    pieces = np.vstack([block.copy() for _, block in gower_blocks(g, budget=4 * 120 * 25)])
    assert np.array_equal(pieces, full)
    index, dist = gower_topk(g, 5)
    masked = full.copy()
    np.fill_diagonal(masked, np.inf)
    assert np.allclose(dist, np.sort(masked, axis=1)[:, :5])
    assert np.allclose(np.take_along_axis(masked, index, axis=1), dist)
    assert not (index == np.arange(120)[:, None]).any()


def test_new_rows_keep_the_fitted_encoding():
    frame = pd.DataFrame({"a": [0.0, 10.0, 5.0], "c": ["x", "y", "x"]})
    g = gower_data(frame)
    new = encode_like(pd.DataFrame({"a": [10.0, 20.0], "c": ["y", "never seen"]}), g)
    d = gower_matrix(new, g)
    assert d[0, 1] == 0  # identical to row 1
    assert d[1, 1] == pytest.approx((1.0 + 1.0) / 2)  # range stays 10: |20-10|/10 = 1; unseen category mismatches
    with pytest.raises(DataError, match="lack columns"):
        encode_like(pd.DataFrame({"a": [1.0]}), g)


def test_bad_input_is_refused():
    with pytest.raises(DataError, match="table"):
        gower_data(np.zeros((3, 2)))
    with pytest.raises(DataError, match="infinite"):
        gower_data(pd.DataFrame({"a": [1.0, np.inf]}))
    with pytest.raises(ParameterError, match="no column"):
        gower_data(pd.DataFrame({"a": [1.0, 2.0]}), weights={"b": 2})
    with pytest.raises(ParameterError, match="smaller than"):
        gower_topk(gower_data(pd.DataFrame({"a": [1.0, 2.0]})), 2)


def _mixed_groups(n_per=60, seed=0, flip=0.03):
    rng = np.random.default_rng(seed)
    parts = []
    for g, (mu, cat, flag) in enumerate([(0.0, "red", 0), (6.0, "green", 1), (12.0, "blue", 0)]):
        parts.append(pd.DataFrame({
            "amount": rng.normal(mu, 1.0, n_per),
            "colour": np.where(rng.random(n_per) < 1 - flip, cat, rng.choice(["red", "green", "blue"], n_per)),
            "member": (rng.random(n_per) < (1 - flip if flag else flip)).astype(int),
            "truth": g}))
    frame = pd.concat(parts, ignore_index=True)
    frame.loc[rng.choice(len(frame), 10, replace=False), "amount"] = np.nan
    return frame.drop(columns="truth"), frame["truth"].to_numpy()


@pytest.mark.parametrize("name", names("table"))
def test_table_algorithms_recover_mixed_groups(name):
    frame, truth = _mixed_groups()
    spec = REGISTRY[name]
    result = fit_predict(name, frame, 3 if spec.needs_k else None)
    kept = result.labels >= 0
    assert kept.mean() > 0.8 and ari(truth[kept], result.labels[kept]) > 0.8, name


def test_kmedoids_chooses_k_by_medoid_silhouette_and_predicts():
    import kmedoids

    # Without flipped categories: a row whose colour or membership differs from its group's is,
    # to Gower, a small cluster of its own, and the silhouette rightly rewards giving it one.
    frame, truth = _mixed_groups(flip=0.0)
    model = GowerKMedoids(k_range=(2, 6)).fit(frame)
    assert model.n_clusters_ == 3 and set(model.k_scores_) == {2, 3, 4, 5, 6}
    assert ari(truth, model.labels_) > 0.85
    assert np.array_equal(model.predict(frame), model.labels_)
    d = gower_matrix(gower_data(frame))
    assert medoid_silhouette(d[:, model.medoid_indices_])[0] == pytest.approx(
        kmedoids.medoid_silhouette(d.astype(np.float64), model.medoid_indices_)[0], abs=1e-5)
    assert GowerKMedoids(k_range=(2, 6), criterion="medoid").fit(frame).n_clusters_ >= 3
    with pytest.raises(ParameterError, match="criterion"):
        GowerKMedoids(criterion="gap").fit(frame)


def test_kmedoids_samples_above_its_size_limit():
    frame, truth = _mixed_groups(n_per=100)
    model = GowerKMedoids(n_clusters=3, sample_size=80, n_samples=3).fit(frame)
    assert model.sampled_ and ari(truth, model.labels_) > 0.85


def test_table_and_matrix_inputs_are_not_mixed_up(blobs):
    frame, _ = _mixed_groups()
    with pytest.raises(DataError, match="numeric matrix"):
        fit_predict("kmeans", frame, 3)
    with pytest.raises(DataError, match="DataFrame"):
        fit_predict("gower_kmedoids", blobs[0], 3)
    with pytest.raises(ParameterError, match="exceeds"):
        fit_predict("gower_average", frame.head(5), 6)


def test_sqrt_gower_embeds_exactly_and_autok_reads_tables():
    from scipy.spatial.distance import cdist

    from clusterlab.autok import estimate_k
    from clusterlab.prep.gower import euclidean_embedding

    frame, _ = _mixed_groups(n_per=20, flip=0.0)
    d = gower_matrix(gower_data(frame.dropna()))
    y, share = euclidean_embedding(d, max_dims=200)
    assert share == pytest.approx(1.0) and np.allclose(cdist(y, y), np.sqrt(d), atol=1e-4)
    consensus = estimate_k(gower_data(_mixed_groups(flip=0.0)[0]), max_k=6,
                           methods=["silhouette", "eigengap", "genie_stability"])
    assert consensus.k == 3 and "sqrt(Gower)" in consensus.notes[0] and consensus.n == 180
