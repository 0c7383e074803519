import json

import numpy as np
import pandas as pd
import pytest

from clusterlab.algorithms import names
from clusterlab.autok import ESTIMATORS
from conftest import run_cli


def test_auto_without_arguments(tmp_path):
    r = run_cli("auto", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "clusterlab-out" / "summary.json").read_text())
    assert summary["dataset"]["name"] == "wine" and summary["k"] >= 2
    assert (tmp_path / "clusterlab-out" / "labels.csv").exists()


def test_cluster_evaluate_and_listings(tmp_path, blobs):
    x, y = blobs
    np.save(tmp_path / "x.npy", x)
    pd.DataFrame({"label": y}).to_csv(tmp_path / "truth.csv", index=False)
    r = run_cli("cluster", str(tmp_path / "x.npy"), "--algorithm", "genie", "--k", "3", "-o", str(tmp_path / "l.csv"))
    assert r.returncode == 0, r.stderr
    assert pd.read_csv(tmp_path / "l.csv").cluster.nunique() == 3
    r = run_cli("evaluate", str(tmp_path / "l.csv"), "--truth", str(tmp_path / "truth.csv"), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["ari"] > 0.95
    r = run_cli("cluster", str(tmp_path / "x.npy"), "-a", "dbscan", "-p", "eps=1.5", "-o", str(tmp_path / "d.csv"))
    assert r.returncode == 0, r.stderr
    listing = run_cli("algorithms").stdout
    assert all(name in listing for name in names())
    assert "wine" in run_cli("datasets").stdout


def _bad_inputs(tmp):
    (tmp / "empty.csv").write_text("")
    (tmp / "one.csv").write_text("a,b\n1,2\n")
    (tmp / "text.csv").write_text("a,b\n" + "".join(f"{i},{i * 2}\n" for i in range(30)) + "3,seven\n")
    (tmp / "nan.csv").write_text("a,b\n1,2\n3,\n5,6\n")
    (tmp / "inf.csv").write_text("a,b\n1,2\n3,inf\n5,6\n")
    (tmp / "ok.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    return {
        "empty file": (["cluster", "empty.csv", "-a", "kmeans", "-k", "2"], "empty"),
        "one row": (["cluster", "one.csv", "-a", "kmeans", "-k", "2"], "only 1 row"),
        "text in a numeric column": (["cluster", "text.csv", "-a", "kmeans", "-k", "2"], "holds the text 'seven'"),
        "NaN": (["cluster", "nan.csv", "-a", "kmeans", "-k", "2"], "missing cells"),
        "infinity": (["cluster", "inf.csv", "-a", "kmeans", "-k", "2"], "infinite value"),
        "k > n": (["cluster", "ok.csv", "-a", "kmeans", "-k", "9"], "k=9 exceeds the number of rows (3)"),
        "unknown algorithm": (["cluster", "ok.csv", "-a", "kmeens", "-k", "2"], "unknown algorithm 'kmeens'"),
        "missing file": (["cluster", "nowhere.csv", "-a", "kmeans", "-k", "2"], "no such file"),
        "bad parameter": (["cluster", "ok.csv", "-a", "kmeans", "-k", "2", "-p", "colour=red"], "no parameter colour"),
    }


BAD_CASES = ["empty file", "one row", "text in a numeric column", "NaN", "infinity", "k > n", "unknown algorithm",
             "missing file", "bad parameter"]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_is_one_line_and_destroys_nothing(case, tmp_path):
    args, message = _bad_inputs(tmp_path)[case]
    previous = tmp_path / "labels.csv"
    previous.write_text("row,cluster\n0,1\n")
    r = run_cli(*args, "-o", str(previous), cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = [line for line in r.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert message in lines[0]
    assert "Traceback" not in r.stderr
    assert previous.read_text() == "row,cluster\n0,1\n"


def test_autok_command_writes_votes_and_curves(tmp_path):
    rng = np.random.default_rng(0)
    x = np.vstack([c + rng.normal(size=(60, 2)) for c in ([0, 0], [15, 0], [0, 15], [15, 15])])
    np.save(tmp_path / "x.npy", x)
    r = run_cli("autok", str(tmp_path / "x.npy"), "--max-k", "8", "-o", str(tmp_path / "ak"))
    assert r.returncode == 0, r.stderr
    assert "consensus k = 4" in r.stdout and "eigengap" in r.stdout
    saved = json.loads((tmp_path / "ak" / "autok.json").read_text())
    assert saved["k"] == 4 and len(saved["estimates"]) == len(ESTIMATORS)
    png = (tmp_path / "ak" / "autok-curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_autok_bad_range_is_one_line(tmp_path):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(5, 2)))
    r = run_cli("autok", str(tmp_path / "x.npy"), "--min-k", "8", "--max-k", "9")
    assert r.returncode == 2 and r.stderr.startswith("error:") and "Traceback" not in r.stderr


def test_cluster_a_mixed_table_on_gower(tmp_path, mixed_csv):
    r = run_cli("cluster", str(mixed_csv), "-a", "gower_kmedoids", "--label", "label", "-o", str(tmp_path / "g.csv"))
    assert r.returncode == 0, r.stderr
    labels = pd.read_csv(tmp_path / "g.csv").cluster
    assert len(labels) == 6 and labels.min() >= 0  # blank cells need no imputation on Gower
    r = run_cli("cluster", str(mixed_csv), "-a", "gower_average", "-k", "9", "-o", str(tmp_path / "h.csv"))
    assert r.returncode == 2 and "exceeds the number of rows" in r.stderr and not (tmp_path / "h.csv").exists()
