"""Pretrained features, their cache, the clustering head on features, and the .mat reader."""

import numpy as np
import pytest

from clusterlab.deep import backbones
from clusterlab.deep.head import FeatureHead, mine_neighbours


def test_features_are_cached_by_content_and_a_hit_skips_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("CLUSTERLAB_CACHE", str(tmp_path))
    images = np.random.default_rng(0).integers(0, 256, size=(6, 16, 16, 3), dtype=np.uint8)
    first = backbones.features(images, batch_size=4)
    assert first.shape == (6, 1280) and np.isfinite(first).all()
    assert len(list((tmp_path / "features").glob("*.npy"))) == 1

    def no_network():
        raise AssertionError("the network ran although the features were cached")

    spec = backbones.BACKBONES[backbones.DEFAULT_BACKBONE]
    monkeypatch.setitem(backbones.BACKBONES, backbones.DEFAULT_BACKBONE,
                        backbones.Backbone(**{**spec.__dict__, "load": no_network}))
    np.testing.assert_array_equal(backbones.features(images), first)
    changed = images.copy()
    changed[0, 0, 0, 0] ^= 1  # one bit of one pixel: another key
    with pytest.raises(AssertionError, match="network ran"):
        backbones.features(changed)


def test_grey_images_become_three_channels_at_the_backbones_size():
    grey = np.zeros((2, 28, 28), dtype=np.uint8)
    batch = backbones.to_batch(grey, 128)
    assert tuple(batch.shape) == (2, 3, 128, 128) and float(batch.min()) == -1.0


def _features(n_per=60, d=32, k=4, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, d)) * 3
    return np.vstack([c + rng.normal(size=(n_per, d)) for c in centres]), np.repeat(np.arange(k), n_per)


def test_the_head_finds_clusters_of_tiny_features():
    from sklearn.metrics import adjusted_rand_score

    x, y = _features()
    head = FeatureHead(4, n_neighbors=5, epochs=100, random_state=0).fit(x)
    assert adjusted_rand_score(y, head.labels_) > 0.95
    assert head.predict_proba(x).shape == (240, 4) and np.allclose(head.transform(x).sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(head.predict(x), head.labels_)
    neighbours = mine_neighbours(x, 5)
    assert (y[neighbours] == y[:, None]).mean() > 0.95 and not (neighbours == np.arange(240)[:, None]).any()


def test_the_heads_time_limit_stops_training_early():
    x, _ = _features()
    head = FeatureHead(4, n_neighbors=5, epochs=1000, time_limit=0.2).fit(x)
    assert head.stopped_early_ and len(head.history_) < 1000


def test_a_mat_file_of_fea_and_gnd_is_read_and_square_rows_become_images(tmp_path):
    from scipy.io import savemat

    from clusterlab.data import load

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 8, 8)).astype(np.float64)
    fea = images.transpose(0, 2, 1).reshape(5, 64)  # as MATLAB flattens: column by column
    savemat(tmp_path / "faces.mat", {"fea": fea, "gnd": np.array([[1], [1], [2], [2], [3]])})
    dataset = load(str(tmp_path / "faces.mat"))
    assert dataset.is_image and dataset.features.shape == (5, 8, 8)
    np.testing.assert_array_equal(dataset.features, images.astype(np.uint8))
    assert dataset.truth.tolist() == [0, 0, 1, 1, 2] and "8 x 8 pixels" in dataset.notes[0]
    savemat(tmp_path / "table.mat", {"X": rng.normal(size=(7, 3)), "Y": np.arange(7)})
    table = load(str(tmp_path / "table.mat"))
    assert table.features.shape == (7, 3) and not table.is_image


def test_a_mat_file_without_features_is_a_clear_error(tmp_path):
    from scipy.io import savemat

    from clusterlab.data import load
    from clusterlab.errors import DataError

    savemat(tmp_path / "odd.mat", {"weights": np.ones(3)})
    with pytest.raises(DataError, match="holds no feature array"):
        load(str(tmp_path / "odd.mat"))
    (tmp_path / "junk.mat").write_bytes(b"not a mat file at all")
    with pytest.raises(DataError, match="not a readable MATLAB file"):
        load(str(tmp_path / "junk.mat"))


def test_a_short_budget_skips_a_backbone_that_would_not_finish_and_says_so(tmp_path, monkeypatch):
    from clusterlab.data.dataset import Dataset, array_schema
    from clusterlab.errors import ParameterError
    from clusterlab.job import auto

    monkeypatch.setenv("CLUSTERLAB_CACHE", str(tmp_path))
    rng = np.random.default_rng(0)
    images = np.concatenate([np.full((40, 12, 12), 30), np.full((40, 12, 12), 220)]) + rng.integers(0, 20, (80, 12, 12))
    images = images.astype(np.uint8)
    result = auto(Dataset("grey", images, array_schema(images), truth=np.repeat([0, 1], 40)), budget=0.001)
    chosen = next(d for d in result.decisions if d.step == "representation")
    assert chosen.choice == "pixels" and "skipped efficientnet_lite0" in chosen.reason
    assert "no autoencoder: the budget left too little time" in chosen.reason
    assert result.k >= 2 and result.labels.shape == (80,)
    with pytest.raises(ParameterError, match="budget"):
        auto(Dataset("grey", images, array_schema(images)), budget=-1)


def test_the_representation_that_leads_at_the_most_k_wins_not_the_highest_peak():
    from clusterlab.job.images import leads

    steady = {2: 0.5, 3: 0.6, 4: 0.7, 5: 0.7, 6: 0.69}
    rising = {2: 0.4, 3: 0.5, 4: 0.6, 5: 0.65, 6: 0.72}  # highest peak, at the range's end only
    assert leads({"steady": steady, "rising": rising}) == {"steady": 4, "rising": 1}
    assert leads({"a": steady, "b": dict(steady)}) == {"a": 5, "b": 5}  # a tie counts for each
