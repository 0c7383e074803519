"""The explain study: encoder, IMN / TabResNet, tuning, the study folder and its reload."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from clusterlab.data.tables import infer_schema
from clusterlab.errors import DataError, ParameterError
from clusterlab.explain import TableEncoder, evaluate_study, make_model, run_study
from clusterlab.explain.models import Hyper, NeuralModel
from clusterlab.explain.nets import IMN

FAST = Hyper(epochs=12, warmup=2, snapshots=2, batch_size=32, dropout=0.1, weight_decay=1e-4, lr=3e-3, l1=0.01)


def _table(n=320, seed=0):
    """Two segments (a category and a shifted number) whose outcome depends on different columns."""
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, 2, n)
    frame = pd.DataFrame({
        "plan": np.where(segment == 0, "basic", "premium"),
        "usage": rng.normal(segment * 4.0, 1.0),
        "tenure": rng.normal(0, 1, n),
        "calls": rng.normal(0, 1, n),
        "region": np.where(segment == 0, rng.choice(["north", "east"], n), "south"),
    })
    logit = np.where(segment == 0, 3 * frame.tenure, -3 * frame.calls)
    frame["churn"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame.loc[::17, "tenure"] = np.nan
    return frame


def _split(frame):
    y = frame["churn"].to_numpy()
    typed, schema = infer_schema(frame.drop(columns="churn"))
    return typed, schema, y


def test_encoder_is_json_and_handles_blanks_and_unseen_categories():
    typed, schema, _ = _split(_table())
    enc = TableEncoder(schema).fit(typed)
    again = TableEncoder.from_dict(json.loads(json.dumps(enc.to_dict())))
    new = typed.head(3).copy()
    new.loc[0, "region"] = "west"  # never seen: all its one-hot columns are 0
    new.loc[1, "usage"] = np.nan  # blank: the training median
    x = again.transform(new)
    assert np.array_equal(x, enc.transform(new)) and np.isfinite(x).all()
    region = [i for i, s in enumerate(enc.sources) if s == "region"]
    assert x[0, region].sum() == 0 and x[2, region].sum() == 1
    assert len(enc.feature_names) == len(enc.sources) == x.shape[1]
    with pytest.raises(DataError, match="lack columns"):
        enc.transform(new.drop(columns="plan"))


def test_imn_prediction_is_its_own_linear_explanation():
    net = IMN(5, 2).eval()
    x = torch.randn(7, 5)
    out, w = net(x)
    assert torch.allclose(out, (w[:, :, :-1] * x[:, None, :]).sum(2) + w[:, :, -1], atol=1e-5)


def test_imn_finds_the_features_that_matter():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 6)).astype(np.float32)
    y = (x[:, 0] - x[:, 1] > 0).astype(int)
    model = NeuralModel("imn", "classification", FAST).fit(x, y)
    assert (model.predict(x) == y).mean() > 0.9
    importance = np.abs(model.contributions(x)).mean(axis=(0, 1))
    assert set(np.argsort(importance)[-2:]) == {0, 1}


def test_regression_and_save_load_roundtrip(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 4)).astype(np.float32)
    y = 2 * x[:, 0] - x[:, 2] + 0.1 * rng.normal(size=400)
    for kind in ("imn", "tabresnet"):
        model = make_model(kind, "regression", hyper=FAST).fit(x, y)
        assert 1 - ((model.predict(x) - y) ** 2).mean() / y.var() > 0.8, kind
        model.save(tmp_path / kind)
        again = NeuralModel.load(tmp_path / kind)
        assert np.allclose(again.predict(x), model.predict(x), atol=1e-5)
    (tmp_path / "imn.safetensors").write_bytes(b"not a model")
    with pytest.raises(DataError, match="not a readable saved model"):
        NeuralModel.load(tmp_path / "imn")


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError, match="epochs"):
        Hyper(epochs=3, warmup=5).check()
    with pytest.raises(ParameterError, match="kind"):
        NeuralModel("forest")
    with pytest.raises(DataError, match="two classes"):
        make_model("imn", "classification", hyper=FAST).fit(np.zeros((10, 2)), np.ones(10))


def test_study_end_to_end_and_reload(tmp_path):
    typed, schema, y = _split(_table())
    result = run_study(typed, schema, y, target="churn", cluster="gower", k=2, models=("imn", "linear"),
                       seeds=(0, 1), hyper=FAST, shap_rows=15, shap_background=10, out=tmp_path / "study")
    overall = result.scores[result.scores.cluster == "all"]
    assert set(overall.scope) == {"whole", "per-cluster"} and set(overall.model) == {"imn", "linear"}
    assert overall.auroc.between(0.5, 1).all()
    # the two segments are the clusters, and each has its own driver: per-cluster IMN finds it
    imp = result.importance[(result.importance.model == "cluster") & (result.importance.seed == 0)]
    tops = {c: p.sort_values("imn").feature.iloc[-1] for c, p in imp.groupby("cluster")}
    assert set(tops.values()) == {"tenure", "calls"}
    assert {"spearman", "top5_jaccard"} <= set(result.agreement.columns)
    assert len(result.stability()) > 0
    folder = tmp_path / "study"
    for name in ("comparison.csv", "comparison.md", "importance.csv", "agreement.csv", "study.json",
                 "models/encoder.json", "models/router.json", "models/whole-imn.json", "models/cluster0-imn.json",
                 "figures/importance_across_clusters.png", "figures/scores_by_cluster.png"):
        assert (folder / name).exists(), name
    predictions, scores = evaluate_study(folder, typed, y)
    assert len(predictions) == len(typed) and set(scores) == {"imn/whole", "imn/per-cluster"}
    assert np.array_equal(predictions.cluster.to_numpy(), pd.read_csv(folder / "clusters.csv").cluster.to_numpy())


def test_study_refuses_bad_input():
    typed, schema, y = _split(_table(60))
    with pytest.raises(ParameterError, match="exceeds"):
        run_study(typed, schema, y, k=100, models=("linear",), hyper=FAST)
    with pytest.raises(DataError, match="single class"):
        run_study(typed, schema, np.array(["a"] * 60), models=("linear",))
    with pytest.raises(ParameterError, match="unknown models"):
        run_study(typed, schema, y, models=("forest",))


def test_tuning_resumes_from_sqlite(tmp_path):
    from clusterlab.explain.tuning import tune

    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    base = Hyper(warmup=2, snapshots=2)
    db = tmp_path / "optuna.db"
    _, first = tune("imn", "classification", x, y, trials=2, storage=db, study_name="t", base=base)
    best, second = tune("imn", "classification", x, y, trials=3, storage=db, study_name="t", base=base)
    assert first["trials"] == 2 and second["trials"] == 3 and db.exists()
    assert 10 <= best.epochs <= 60 and best.warmup == 2


def test_cli_explain_runs_and_fails_cleanly(tmp_path):
    path = tmp_path / "customers.csv"
    _table(200).to_csv(path, index=False)
    cmd = [sys.executable, "-m", "clusterlab.cli", "explain", str(path), "--target", "churn", "--models", "linear",
           "--k", "2", "-o", str(tmp_path / "out")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "comparison.md").exists() and "per-cluster" in done.stdout
    bad = subprocess.run(cmd[:5] + ["--target", "nope"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "no column 'nope'" in bad.stderr and "Traceback" not in bad.stderr
