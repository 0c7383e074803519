"""`clusterlab assign`: the model `auto` saves places new rows as the run placed its own."""

import json

import numpy as np
import pandas as pd
import pytest

from clusterlab.algorithms import fit_predict
from clusterlab.data.tables import read_table
from clusterlab.errors import DataError
from clusterlab.fitted import FittedModel, assign, placement_of
from clusterlab.fitted.assign import encoder_codes
from clusterlab.prep import encode
from clusterlab.prep.saved import InputSteps
from clusterlab.prep.tidy import tidy

from conftest import run_cli


def _blobs(n_per=60, d=4, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=8.0, size=(3, d))
    return np.vstack([c + rng.normal(size=(n_per, d)) for c in centres])


@pytest.mark.parametrize("algorithm", ["kmeans", "kmedians", "gmm", "birch", "meanshift"])
def test_a_rule_read_off_an_estimator_with_predict_gives_its_predictions(algorithm):
    x = _blobs()
    result = fit_predict(algorithm, x, 3, seed=0)
    placement = placement_of(result.estimator, x, result.labels)
    assert placement.rule in ("centres", "mixture")
    new = x + np.random.default_rng(1).normal(scale=0.5, size=x.shape)
    fitted = getattr(result.estimator, "model_", result.estimator)  # clusterlab's wrappers hold scikit-learn's
    predicted = fitted.predict(new)
    np.testing.assert_array_equal(placement.place(new).labels, predicted)
    np.testing.assert_array_equal(placement.place(x).labels, result.labels)


@pytest.mark.parametrize("algorithm", ["ward", "spectral", "hdbscan", "genie"])
def test_a_partition_without_predict_is_extended_by_the_nearest_training_row(algorithm):
    x = _blobs()
    result = fit_predict(algorithm, x, 3, seed=0)
    placement = placement_of(result.estimator, x, result.labels)
    assert placement.rule == "nearest" and placement.agreement == 1.0
    np.testing.assert_array_equal(placement.place(x).labels, result.labels)
    shifted = x[::7] + 0.01  # beside a training row: that row's cluster
    np.testing.assert_array_equal(placement.place(shifted).labels, result.labels[::7])


def test_rows_far_from_every_cluster_are_outliers_and_the_training_rows_are_not():
    x = _blobs()
    for algorithm in ("kmeans", "gmm", "ward"):
        result = fit_predict(algorithm, x, 3, seed=0)
        placement = placement_of(result.estimator, x, result.labels)
        assert placement.place(x).outlier.mean() < 0.02, algorithm
        far = np.random.default_rng(2).normal(size=(20, x.shape[1])) * 3 + 200.0
        assert placement.place(far).outlier.all(), algorithm
        assert placement.place(x[:5] * 1.0).outlier.sum() == 0


def _messy_table(n=120, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    frame = pd.DataFrame({
        "customer_id": [f"C{i:04d}" for i in range(n)],  # ID-like: set aside
        "spend": group * 40 + rng.normal(scale=5, size=n),
        "visits": (group * 3 + rng.integers(0, 2, n)).astype(float),
        "joined": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
    })
    frame.loc[[3, 17], "spend"] = np.nan
    return frame


def test_the_saved_encoding_gives_back_the_matrix_the_run_clustered(tmp_path):
    frame = _messy_table()
    frame["plan"] = np.where(frame.spend.fillna(0) > 40, "gold", "basic")
    frame.loc[5, "plan"] = None
    frame["member"] = np.where(frame.visits > 3, "yes", "no")
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    dataset = tidy(read_table(path))
    encoding = encode(dataset, missing="impute")
    steps = InputSteps.of_matrix(dataset, encoding)
    assert "customer_id" in steps.set_aside and steps.dates == ["joined"]
    again = InputSteps.from_json(json.loads(json.dumps(steps.to_json())), steps.arrays)
    np.testing.assert_allclose(again.apply(read_table(path)).data, encoding.matrix, atol=1e-12)


def _auto(tmp_path, path, *extra):
    out = tmp_path / "run"
    done = run_cli("auto", str(path), "-o", str(out), "--no-report", *extra)
    assert done.returncode == 0, done.stderr
    return out


def test_assigning_the_training_rows_gives_back_autos_labels_numeric(tmp_path):
    path = tmp_path / "customers.csv"
    _messy_table().to_csv(path, index=False)
    out = _auto(tmp_path, path)
    done = run_cli("assign", str(out), str(path), "-o", str(tmp_path / "a.csv"))
    assert done.returncode == 0, done.stderr
    assert "missing cells were filled" in done.stderr
    labels, again = pd.read_csv(out / "labels.csv"), pd.read_csv(tmp_path / "a.csv")
    assert list(again.columns) == ["row", "cluster", "confidence", "outlier"]
    np.testing.assert_array_equal(again.cluster, labels.cluster)
    np.testing.assert_array_equal(again.outlier, labels.outlier)
    np.testing.assert_allclose(again.confidence, labels.confidence, atol=2e-4)
    summary = json.loads((out / "summary.json").read_text())
    assert any(d["step"] == "model" for d in summary["decisions"])


def test_a_mixed_table_round_trips_and_an_unseen_category_is_assigned_with_a_warning(tmp_path):
    rng = np.random.default_rng(0)
    group = rng.integers(0, 2, 80)
    frame = pd.DataFrame({"income": group * 50 + rng.normal(scale=4, size=80),
                          "region": np.where(group == 1, "north", "south"),
                          "owner": np.where(rng.random(80) < 0.5, "yes", "no")})
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    out = _auto(tmp_path, path)
    result = assign(out, path)
    assert result.model.placement.rule == "medoids"
    np.testing.assert_array_equal(result.labels, pd.read_csv(out / "labels.csv").cluster)
    new = frame.head(6).copy()
    new.loc[[0, 1], "region"] = "east"
    new.to_csv(tmp_path / "new.csv", index=False)
    done = run_cli("assign", str(out), str(tmp_path / "new.csv"), "-o", str(tmp_path / "a.csv"))
    assert done.returncode == 0, done.stderr
    assert "2 cells hold a category the model never saw: 'region' (2)" in done.stderr
    assert len(pd.read_csv(tmp_path / "a.csv")) == 6


def test_images_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.integers(0, 256, size=(3, 8, 8))
    images = np.clip(np.repeat(base, 30, axis=0) + rng.normal(scale=12, size=(90, 8, 8)), 0, 255).astype(np.uint8)
    np.savez(tmp_path / "imgs.npz", x=images)
    out = _auto(tmp_path, tmp_path / "imgs.npz")
    result = assign(out, tmp_path / "imgs.npz")
    np.testing.assert_array_equal(result.labels, pd.read_csv(out / "labels.csv").cluster)
    np.savez(tmp_path / "wrong.npz", x=images[:, :4])
    with pytest.raises(DataError, match=r"rows of shape \(8, 8\)"):
        assign(out, tmp_path / "wrong.npz")


def test_images_read_through_the_trained_autoencoder_round_trip(tmp_path, monkeypatch):
    """When the pixels win, auto trains an autoencoder; the saved model reads new images through it."""
    from clusterlab.data.dataset import Dataset, array_schema
    from clusterlab.job import auto, images, write_outputs

    monkeypatch.setenv("CLUSTERLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(images, "leads", lambda curves: {name: int(name == "pixels") for name in curves})
    rng = np.random.default_rng(1)
    base = rng.integers(0, 256, size=(3, 8, 8))
    pictures = np.clip(np.repeat(base, 30, axis=0) + rng.normal(scale=12, size=(90, 8, 8)), 0, 255).astype(np.uint8)
    result = auto(Dataset("pictures", pictures, array_schema(pictures)))
    write_outputs(result, tmp_path / "run", report=False)
    steps = FittedModel.load(tmp_path / "run").steps
    assert steps.backbone == "autoencoder" and steps.encoder["net"] == "mlp"
    again = assign(tmp_path / "run", Dataset("pictures", pictures, array_schema(pictures)))
    np.testing.assert_array_equal(again.labels, result.labels)
    steps.arrays.pop(next(k for k in steps.arrays if k.startswith("encoder.")))
    with pytest.raises(DataError, match="saved encoder does not fit"):
        encoder_codes(steps, pictures)


@pytest.fixture
def fitted_run(tmp_path):
    path = tmp_path / "customers.csv"
    _messy_table().to_csv(path, index=False)
    return _auto(tmp_path, path), path


def _fails(args, message, tmp_path):
    target = tmp_path / "assigned.csv"
    target.write_text("keep me")
    done = run_cli("assign", *map(str, args), "-o", str(target))
    assert done.returncode != 0
    assert message in done.stderr, done.stderr
    assert done.stderr.count("error:") == 1 and "Traceback" not in done.stderr
    assert target.read_text() == "keep me"  # nothing written, nothing destroyed


def test_bad_new_rows_get_one_clear_error_and_nothing_is_written(fitted_run, tmp_path):
    out, path = fitted_run
    frame = pd.read_csv(path)
    frame.drop(columns=["visits"]).to_csv(tmp_path / "lacks.csv", index=False)
    _fails([out, tmp_path / "lacks.csv"], "it lacks column 'visits'", tmp_path)
    frame.assign(colour="red").to_csv(tmp_path / "extra.csv", index=False)
    _fails([out, tmp_path / "extra.csv"], "it has column 'colour' the model never saw", tmp_path)
    frame.assign(spend=["high"] * len(frame)).to_csv(tmp_path / "kind.csv", index=False)
    _fails([out, tmp_path / "kind.csv"], "column 'spend' held numbers when the model was fitted", tmp_path)


def test_a_model_folder_that_is_corrupt_foreign_or_from_another_version_is_refused(fitted_run, tmp_path):
    out, path = fitted_run
    empty = tmp_path / "empty"
    empty.mkdir()
    _fails([empty, path], "is not an output folder of `clusterlab auto`", tmp_path)
    model = json.loads((out / "model.json").read_text())
    (out / "model.json").write_text(json.dumps({**model, "k": 7}))
    _fails([out, path], "is not the file this run wrote", tmp_path)
    # A folder whole by its manifest, but written by a clusterlab of another model format.
    from clusterlab.files import write_run_folder

    later = {**model, "format": 99, "clusterlab": "9.0"}
    arrays = (out / "model.safetensors").read_bytes()
    write_run_folder(out, {"model.json": lambda p: p.write_text(json.dumps(later)),
                           "model.safetensors": lambda p: p.write_bytes(arrays)}, owned=())
    _fails([out, path], "is a model of format 99, written by clusterlab 9.0", tmp_path)
    write_run_folder(out, {"model.json": lambda p: p.write_text(json.dumps(model)),
                           "model.safetensors": lambda p: p.write_bytes(b"not tensors")}, owned=())
    _fails([out, path], "it is corrupt or not a safetensors file", tmp_path)


def test_loading_a_model_reads_what_auto_saved(fitted_run):
    out, _ = fitted_run
    model = FittedModel.load(out)
    assert model.training_rows == 120 and model.k >= 2
    assert model.steps.kind == "table" and "customer_id" in model.steps.set_aside
