import numpy as np
import pandas as pd

from clusterlab.recommend.metadataset import ALGORITHMS
from clusterlab.data.synthetic import SyntheticSpec
from clusterlab.recommend import ALGORITHM_COLUMNS, label_dataset, label_many
from conftest import run_cli


def test_label_dataset_scores_every_algorithm():
    row = label_dataset(SyntheticSpec("gaussian", 150, 2, 3, seed=1, separation=4.0).to_dict())
    assert set(ALGORITHM_COLUMNS) <= set(row)
    assert row["ari_kmeans"] > 0.95 and row["k_kmeans"] == 3
    assert all(np.isfinite(row[c]) or f"error_{c[4:]}" in row for c in ALGORITHM_COLUMNS)
    assert "x" not in row and "features" not in row  # specs and labels only, never the points


def test_label_many_resumes(tmp_path):
    path = tmp_path / "meta.csv"
    first = label_many(path, 2, backend="serial", progress=None, max_n=200)
    assert first["labelled"] == 2 and first["per_core_hour"] > 0
    again = label_many(path, 4, backend="serial", progress=None, max_n=200)
    assert again["already"] == 2 and again["labelled"] == 2
    table = pd.read_csv(path)
    assert table.seed.tolist() == [0, 1, 2, 3] and len(table.columns) > 4 * len(ALGORITHMS)


def test_interrupted_file_keeps_finished_rows(tmp_path):
    path = tmp_path / "meta.csv"
    seen = []

    class Stop(Exception):
        pass

    def stop_after_one(row):
        seen.append(row["seed"])
        raise Stop

    try:
        label_many(path, 3, backend="serial", progress=None, on_row=stop_after_one, max_n=200)
    except Stop:
        pass
    assert pd.read_csv(path).seed.tolist() == seen == [0]
    assert label_many(path, 3, backend="serial", progress=None, max_n=200)["labelled"] == 2


def test_cli_label(tmp_path):
    r = run_cli("recommend", "label", "--count", "2", "--backend", "serial", "--max-n", "150",
                "-o", str(tmp_path / "m.csv"))
    assert r.returncode == 0, r.stderr
    assert "2 datasets labelled" in r.stdout and "per core-hour" in r.stdout


def test_a_file_from_another_registry_is_refused(tmp_path):
    import pytest

    from clusterlab.errors import DataError

    path = tmp_path / "old.csv"
    path.write_text("family,n,seed,ari_kmeans\ngaussian,100,0,1.0\n")
    with pytest.raises(DataError, match="another set of algorithms"):
        label_many(path, 2, backend="serial", progress=None, max_n=200)
    assert path.read_text() == "family,n,seed,ari_kmeans\ngaussian,100,0,1.0\n"
