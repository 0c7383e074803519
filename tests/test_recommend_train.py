import json

import numpy as np
import pandas as pd
import pytest

from clusterlab.errors import DataError
from clusterlab.recommend import label_many
from clusterlab.recommend.examples import build_examples
from clusterlab.recommend.train import TrainConfig, train
from conftest import run_cli


@pytest.fixture(scope="module")
def examples(tmp_path_factory):
    path = tmp_path_factory.mktemp("meta") / "meta.csv"
    label_many(path, 24, backend="serial", progress=None, max_n=120)
    return build_examples(pd.read_csv(path), "set", m=64, p=8), path


def test_train_checkpoints_and_resumes_to_the_same_state(examples, tmp_path):
    ex, _ = examples
    config = TrainConfig(epochs=2, batch_size=8, m=64, p=8)
    straight = train(ex, tmp_path / "a", config)
    assert straight["finite"] and (tmp_path / "a" / "weights.safetensors").exists()
    train(ex, tmp_path / "b", TrainConfig(epochs=1, batch_size=8, m=64, p=8))  # "killed" after one epoch
    resumed = train(ex, tmp_path / "b", config, resume=True)
    a = json.loads((tmp_path / "a" / "state.json").read_text())
    b = json.loads((tmp_path / "b" / "state.json").read_text())
    assert b["epoch"] == 2 and len(b["history"]) == 2
    assert np.isclose(a["history"][-1]["train_loss"], b["history"][-1]["train_loss"], rtol=1e-4)
    assert resumed["chosen_ari"] == pytest.approx(straight["chosen_ari"], abs=1e-6)


def test_corrupt_checkpoint_is_a_clear_error(examples, tmp_path):
    ex, _ = examples
    train(ex, tmp_path / "r", TrainConfig(epochs=1, batch_size=8, m=64, p=8))
    (tmp_path / "r" / "weights.safetensors").write_bytes(b"garbage")
    with pytest.raises(DataError, match="cannot read model weights"):
        train(ex, tmp_path / "r", TrainConfig(epochs=2, batch_size=8, m=64, p=8), resume=True)


def test_cli_train(examples, tmp_path):
    _, labels = examples
    r = run_cli("recommend", "train", "--labels", str(labels), "--run", str(tmp_path / "run"), "--epochs", "1",
                "--batch-size", "8")
    assert r.returncode == 0, r.stderr
    assert "epoch   1" in r.stdout and "chosen ARI" in r.stdout
    (tmp_path / "run" / "state.json").write_text("{not json")
    r = run_cli("recommend", "train", "--labels", str(labels), "--run", str(tmp_path / "run"), "--resume")
    assert r.returncode == 2 and r.stderr.startswith("error:") and "corrupt" in r.stderr
