import json
import shutil

import numpy as np
import pandas as pd
import pytest

from clusterlab.errors import DataError, ParameterError
from clusterlab.recommend import label_many
from clusterlab.recommend.examples import build_examples
from clusterlab.recommend.nets import CLUSTRECNET_ALGORITHMS
from clusterlab.recommend.recommender import Recommender
from clusterlab.recommend.train import TrainConfig, train
from conftest import run_cli


@pytest.fixture(scope="module")
def labels(tmp_path_factory):
    path = tmp_path_factory.mktemp("meta") / "meta.csv"
    label_many(path, 24, backend="serial", progress=None, max_n=120)
    return path


@pytest.fixture(scope="module")
def set_run(labels, tmp_path_factory):
    run = tmp_path_factory.mktemp("set-run")
    ex = build_examples(pd.read_csv(labels), "set", m=64, p=8)
    train(ex, run, TrainConfig(epochs=1, batch_size=8, m=64, p=8))
    return run


@pytest.fixture
def table_csv(tmp_path, blobs):
    x, _ = blobs
    path = tmp_path / "blobs.csv"
    pd.DataFrame(x, columns=["a", "b"]).to_csv(path, index=False)
    return path


def test_clustrecnet_variant_trains_on_its_ten_algorithms(labels, tmp_path):
    ex = build_examples(pd.read_csv(labels), "grid")
    assert ex.grid.shape == (24, 1, 2000, 50) and ex.grid.dtype == np.float16
    result = train(ex, tmp_path / "crn", TrainConfig(model_name="baseline_cnn", epochs=1))
    assert result["finite"] and "k_accuracy" not in result
    rec = Recommender.load(tmp_path / "crn").predict(np.random.default_rng(0).normal(size=(300, 4)))
    assert [a for a, _ in rec.ranking] != [] and set(a for a, _ in rec.ranking) == set(CLUSTRECNET_ALGORITHMS)
    assert rec.k is None and all(0 <= s <= 1 for _, s in rec.ranking)
    with pytest.raises(DataError, match="reads grid encodings"):
        train(build_examples(pd.read_csv(labels).head(12), "set", m=64, p=8), tmp_path / "x",
              TrainConfig(model_name="no_att", epochs=1))


def test_unknown_model_name_names_the_choices():
    with pytest.raises(ParameterError, match="cnnresatt"):
        TrainConfig(model_name="resnet")


def test_set_recommendation_ranks_every_algorithm_with_k_and_interval(set_run, blobs):
    x, _ = blobs
    rec = Recommender.load(set_run).predict(x)
    assert len(rec.ranking) == 17 and rec.ranking[0][1] >= rec.ranking[-1][1]
    assert 2 <= rec.k <= 20 and 0 < rec.k_probability <= 1
    d = rec.to_dict()
    assert d["algorithm"] == rec.algorithm and json.dumps(d)


def test_set_recommendation_is_invariant_to_row_and_column_order(set_run):
    rng = np.random.default_rng(5)
    x = np.vstack([rng.normal(loc=c, size=(300, 5)) for c in (0.0, 3.0, 6.0)])  # more rows than m
    model = Recommender.load(set_run)
    base = model.predict(x)
    for _ in range(5):
        shuffled = x[rng.permutation(len(x))][:, rng.permutation(x.shape[1])]
        rec = model.predict(shuffled)
        assert [a for a, _ in rec.ranking] == [a for a, _ in base.ranking] and rec.k == base.k
        assert np.allclose([s for _, s in rec.ranking], [s for _, s in base.ranking], atol=1e-5)


def test_corrupt_and_foreign_weights_are_clear_errors(set_run, labels, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(set_run, broken)
    for name in ("weights.safetensors", "best.safetensors"):
        (broken / name).write_bytes(b"\x00garbage")
    with pytest.raises(DataError, match="cannot read model weights"):
        Recommender.load(broken)
    foreign = tmp_path / "foreign"
    shutil.copytree(set_run, foreign)
    state = json.loads((foreign / "state.json").read_text())
    state["model"]["algorithms"] = state["model"]["algorithms"][:5]
    (foreign / "state.json").write_text(json.dumps(state))
    with pytest.raises(DataError, match="weights of another model"):
        Recommender.load(foreign)
    (foreign / "state.json").write_text("[1, 2")
    with pytest.raises(DataError, match="corrupt"):
        Recommender.load(foreign)
    with pytest.raises(DataError, match="no recommender model"):
        Recommender.load(tmp_path / "nowhere")


def test_the_validation_chosen_epoch_is_what_loads(set_run):
    state = json.loads((set_run / "state.json").read_text())
    assert "best" in state and "val_chosen_ari" in state["best"]
    assert (set_run / "best.safetensors").exists()


def test_bad_input_to_predict(set_run):
    model = Recommender.load(set_run)
    with pytest.raises(DataError, match="at least 3 rows"):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(DataError, match="NaN"):
        model.predict(np.array([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0]]))


def test_cli_recommend_file(set_run, table_csv):
    r = run_cli("recommend", str(table_csv), "--model", str(set_run), "--top", "3")
    assert r.returncode == 0, r.stderr
    assert "expected ARI" in r.stdout and "k = " in r.stdout
    r = run_cli("recommend", str(table_csv), "--model", str(set_run), "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)["ranking"]) == 17
    r = run_cli("recommend", str(table_csv), "--model", str(set_run.parent / "missing-run"))
    assert r.returncode == 2 and r.stderr.startswith("error:") and "no recommender model" in r.stderr


def test_numpy_inference_matches_the_torch_network_on_the_shipped_weights():
    """`auto` recommends without importing torch: the NumPy pass must equal the trained network."""
    import torch

    from clusterlab.recommend.encoders import encode_for
    from clusterlab.recommend.model_files import load_weights
    from clusterlab.recommend.nets import build_model
    from clusterlab.recommend.recommender import SHIPPED

    rec = Recommender.load()
    d = rec.description
    net = build_model(d["name"], len(d["algorithms"]), n_features=d["p"], n_meta=d["n_meta"], max_k=d["max_k"])
    load_weights(net, rec.source / ("best.safetensors" if (SHIPPED / "best.safetensors").exists()
                                    and "best" in rec.state else "weights.safetensors"))
    net.eval()
    for n, dims in ((6, 2), (300, 5), (1500, 30)):
        arrays = encode_for("set", np.random.default_rng(n).normal(size=(n, dims)), m=d["m"], p=d["p"])
        ari, k_logits = rec.model(*arrays)
        with torch.no_grad():
            ari_t, k_t = net(*[torch.from_numpy(a)[None] for a in arrays])
        assert np.allclose(ari, ari_t[0].numpy(), atol=1e-5) and np.allclose(k_logits, k_t[0].numpy(), atol=1e-4)


def test_recommending_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, numpy as np; from clusterlab.recommend.recommender import Recommender; "
            "Recommender.load().predict(np.random.default_rng(0).normal(size=(50, 3))); "
            "print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "False"
