"""Bad input, as a demanding user tries it: every case exits 2 with one line on stderr that
starts `error:` and says what to do, prints no traceback, and changes or leaves no file."""

import json
import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from clusterlab.errors import DataError, ParameterError
from conftest import run_cli


def snapshot(folder):
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_refused(r, folder=None, before=None, says=None):
    assert r.returncode == 2, (r.returncode, r.stderr[-800:])
    lines = [line for line in r.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr[-800:]
    assert "Traceback" not in r.stderr + r.stdout
    if says:
        assert says in lines[0], lines[0]
    if folder is not None:
        assert snapshot(folder) == before, "a failing run changed or left files"


@pytest.fixture
def work(tmp_path):
    rng = np.random.default_rng(0)
    pd.DataFrame({"a": np.r_[rng.normal(0, 1, 40), rng.normal(6, 1, 40)],
                  "b": np.r_[rng.normal(0, 1, 40), rng.normal(6, 1, 40)]}).to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "existing_file.txt").write_text("keep me")
    (tmp_path / "existing_dir").mkdir()
    return tmp_path


def test_invalid_options_are_one_line_not_tracebacks(work):
    before = snapshot(work)
    cases = [(["cluster", "t.csv", "-a", "kmeans", "-k", "3", "--seed", "-1"], "--seed"),
             (["cluster", "t.csv", "-a", "kmeans", "-k", "3", "--seed", "99999999999"], "--seed"),
             (["auto", "t.csv", "--seed", "-1"], "--seed"),
             (["autok", "t.csv", "--seed", "-5"], "--seed"),
             (["cluster", "t.csv", "-a", "kmeans", "-k", "3", "-p", "n_init=abc"], "n_init"),
             (["cluster", "t.csv", "-a", "kmeans", "-k", "three"], "--k"),
             (["auto", "t.csv", "--no-such-option"], "--no-such-option"),
             (["deep", "train", "--seeds", "a,b"], "--seeds")]
    for args, says in cases:
        assert_refused(run_cli(*args, cwd=work), work, before, says)


def test_output_paths_are_checked_before_the_work(work):
    before = snapshot(work)
    cases = [(["auto", "t.csv", "-o", "existing_file.txt"], "existing file"),
             (["autok", "t.csv", "-o", "existing_file.txt"], "existing file"),
             (["cluster", "t.csv", "-a", "kmeans", "-k", "2", "-o", "existing_dir"], "existing folder"),
             (["auto", "t.csv", "-o", "existing_file.txt/out"], "is a file")]
    for args, says in cases:
        start = time.perf_counter()
        r = run_cli(*args, cwd=work)
        assert_refused(r, work, before, says)
        assert not (work / "existing_dir.tmp").exists()
    assert time.perf_counter() - start < 30


def test_an_unwritable_folder_is_refused_before_the_work(work, monkeypatch):
    """As a user without write access (CI runs as root, for whom every folder is writable)."""
    from clusterlab import files

    real = os.access
    monkeypatch.setattr(files.os, "access", lambda p, mode: False if str(p) == str(work) else real(p, mode))
    with pytest.raises(ParameterError, match="not writable by this user"):
        files.check_output_folder(work / "out")
    with pytest.raises(ParameterError, match="not writable by this user"):
        files.check_output_file(work / "labels.csv")


def test_a_run_folder_holds_one_run_or_says_it_is_incomplete(work, blobs, monkeypatch):
    from clusterlab import files
    from clusterlab.data.dataset import Dataset, array_schema
    from clusterlab.job import auto, write_outputs

    x, _ = blobs
    result = auto(Dataset("blobs", x, array_schema(x)), runners_up=0)
    out = work / "out"
    write_outputs(result, out)
    old = files.read_run_folder(out)
    assert set(old["files"]) == {"labels.csv", "summary.json", "report.html", "model.json", "model.safetensors"}
    # Interrupted after the first file moved in: the old manifest is gone, so readers refuse.
    moved = []

    def replace_then_die(src, dst):
        if moved:
            raise KeyboardInterrupt
        moved.append(dst)
        os.rename(src, dst)

    monkeypatch.setattr(files.os, "replace", replace_then_die)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(result, out, report=False)
    monkeypatch.undo()
    with pytest.raises(DataError, match="no finished run"):
        files.read_run_folder(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".partial")]
    # A whole run without the report removes the old report: the folder holds that run only.
    write_outputs(result, out, report=False)
    assert set(files.read_run_folder(out)["files"]) == {"labels.csv", "summary.json", "model.json", "model.safetensors"}
    assert not (out / "report.html").exists()
    (out / "labels.csv").write_text("row,cluster\n0,0\n")  # edited afterwards: no longer this run's file
    with pytest.raises(DataError, match="not the file this run wrote"):
        files.read_run_folder(out)


def test_killing_auto_leaves_the_old_run_or_an_incomplete_mark(work):
    from clusterlab import files

    out = work / "out"
    assert run_cli("auto", "t.csv", "-o", str(out), "--runners-up", "0", cwd=work).returncode == 0
    first = files.read_run_folder(out)
    env = {**os.environ, "COLUMNS": "200"}
    for delay in (1.5, 3.0, 4.5):
        proc = subprocess.Popen([sys.executable, "-m", "clusterlab.cli", "auto", "t.csv", "-o", str(out), "--seed",
                                 "1", "--runners-up", "0"], cwd=work, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        try:
            manifest = files.read_run_folder(out)  # a whole run: the old one, or the new one if it finished
            assert manifest["created"] >= first["created"]
        except DataError as exc:
            assert "no finished run" in str(exc)


def test_corrupt_deep_checkpoints_are_clear_errors(images_file_for_deep, tmp_path):
    run = tmp_path / "run"
    args = ["deep", "train", "method=ae_kmeans", f"data.source={images_file_for_deep}", "data.label=y",
            "model.n_clusters=3", "model.net=mlp", "model.net_options={hidden: [16]}", "model.pretrain_epochs=1",
            f"run.out={tmp_path}", "run.name=run"]
    assert run_cli(*args).returncode == 0
    ckpt = run / "checkpoint"
    good = {p.name: p.read_bytes() for p in ckpt.iterdir()}
    payload = pickle.dumps({"x": 1})
    cases = [("optimizer.safetensors", os.urandom(300)), ("optimizer.safetensors", b""),
             ("optimizer.safetensors", payload), ("weights.safetensors", os.urandom(64)),
             ("state.json", json.dumps({"phase": "x", "epoch": "abc", "history": []}).encode()),
             ("state.json", b"[1, 2]"), ("state.json", b"{not json")]
    from clusterlab.deep.session import Session

    for name, data in cases:  # in this process (each command would import torch again), then one on the CLI
        (ckpt / name).write_bytes(data)
        before = snapshot(run)
        with pytest.raises(DataError, match="checkpoint|corrupt|optimizer|state"):
            Session.open(run).run(resume=True)
        assert snapshot(run) == before
        (ckpt / name).write_bytes(good[name])
    (ckpt / "optimizer.safetensors").write_bytes(payload)
    assert_refused(run_cli("deep", "train", "--resume", str(run)), run, snapshot(run))
    (ckpt / "optimizer.safetensors").write_bytes(good["optimizer.safetensors"])
    marker = tmp_path / "payload-ran"
    (ckpt / "optimizer.pt").write_bytes(pickle.dumps(_Payload(str(marker))))  # the old format is never read
    r = run_cli("deep", "train", "--resume", str(run), "--device", "cpu")  # moving a run's device is allowed
    assert r.returncode == 0, r.stderr[-800:]
    assert not marker.exists()
    assert_refused(run_cli("deep", "train", "--resume", str(run), "model.lr=0.1"), says="overrides")


class _Payload:
    """A pickle that would leave a file behind if anything unpickled it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.fixture
def images_file_for_deep(tmp_path):
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(m, 0.05, (20, 8, 8)) for m in (0.2, 0.5, 0.8)]).clip(0, 1).astype(np.float32)
    np.savez(tmp_path / "imgs.npz", X=x, y=np.repeat(np.arange(3), 20))
    return tmp_path / "imgs.npz"


def test_wide_tables_go_through_recommend_and_auto(tmp_path):
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 1, (10, 2000)), rng.normal(1, 1, (10, 2000))]
    np.save(tmp_path / "wide.npy", x)
    start = time.perf_counter()
    r = run_cli("recommend", str(tmp_path / "wide.npy"), "--json")
    assert r.returncode == 0, r.stderr[-800:]
    assert json.loads(r.stdout)["ranking"]
    r = run_cli("auto", str(tmp_path / "wide.npy"), "-o", str(tmp_path / "out"), "--no-report")
    assert r.returncode == 0, r.stderr[-800:]
    assert time.perf_counter() - start < 60
    assert "RuntimeWarning" not in r.stderr


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from test_explain import _table

    folder = tmp_path_factory.mktemp("study")
    _table(160).to_csv(folder / "rows.csv", index=False)
    r = run_cli("explain", str(folder / "rows.csv"), "--target", "churn", "--models", "imn", "--k", "2", "-o",
                str(folder / "st"))
    assert r.returncode == 0, r.stderr[-800:]
    return folder


def test_corrupt_explain_folders_are_clear_errors(study, tmp_path):
    import shutil

    from safetensors.numpy import load_file, save_file

    def edit_json(path, **changes):
        data = json.loads(path.read_text())
        data.update(changes)
        path.write_text(json.dumps(data))

    def nan_weights(path):
        save_file({k: np.full_like(v, np.nan) if v.dtype.kind == "f" else v
                   for k, v in load_file(str(path)).items()}, str(path))

    models = lambda st: st / "models"  # noqa: E731
    cases = [(lambda st: (models(st) / "encoder.json").write_bytes(os.urandom(100)), "encoder.json"),
             (lambda st: (st / "study.json").write_text((study / "st" / "study.json").read_text()[:50]), "study"),
             (lambda st: (models(st) / "router.json").write_text("[1, 2]"), "router"),
             (lambda st: (models(st) / "router.json").write_text("{}"), "unreadable study"),
             (lambda st: edit_json(st / "study.json", task="regression"), "regression"),
             (lambda st: edit_json(st / "study.json", classes=["a"]), "classes"),
             (lambda st: edit_json(models(st) / "whole-imn.json", task="nope"), "task"),
             (lambda st: nan_weights(models(st) / "whole-imn.safetensors"), "NaN")]
    for damage, says in cases:
        st = tmp_path / "st"
        shutil.rmtree(st, ignore_errors=True)
        shutil.copytree(study / "st", st)
        damage(st)
        before = snapshot(tmp_path)
        r = run_cli("explain", "evaluate", str(st), str(study / "rows.csv"), "-o", str(tmp_path / "pred.csv"))
        assert_refused(r, tmp_path, before, says)
    (tmp_path / "existing_dir").mkdir()
    before = snapshot(tmp_path)
    r = run_cli("explain", "evaluate", str(study / "st"), str(study / "rows.csv"), "-o", str(tmp_path / "existing_dir"))
    assert_refused(r, tmp_path, before, "existing folder")


def test_silently_wrong_results_are_refused_or_flagged(tmp_path, blobs):
    x, y = blobs
    pd.DataFrame({"a": [1.0] * 6, "b": [2.0] * 6}).to_csv(tmp_path / "same.csv", index=False)
    pd.DataFrame(np.r_[x, x[:3]], columns=["a", "b"]).to_csv(tmp_path / "dup.csv", index=False)  # 150 distinct rows
    pd.DataFrame({"row": range(150), "x": y}).to_csv(tmp_path / "norow.csv", index=False)
    pd.DataFrame({"row": range(150), "id": range(150), "x": y}).to_csv(tmp_path / "nocluster.csv", index=False)
    (tmp_path / "inf.csv").write_text("row,cluster\n0,1\n1,inf\n")
    np.save(tmp_path / "truth.npy", y)
    np.save(tmp_path / "two.npy", np.zeros((150, 2)))
    before = snapshot(tmp_path)
    for args, says in [(["cluster", "same.csv", "-a", "kmeans", "-k", "3", "-o", "l.csv"], "identical"),
                       (["auto", "same.csv", "-o", "o"], "identical"),
                       (["cluster", "dup.csv", "-a", "kmeans", "-k", "151", "-o", "l.csv"], "distinct rows"),
                       (["evaluate", "nocluster.csv", "--truth", "truth.npy"], "name the one"),
                       (["evaluate", "inf.csv", "--truth", "truth.npy"], "not a finite number"),
                       (["evaluate", "two.npy", "--truth", "truth.npy"], "shape (150, 2)")]:
        assert_refused(run_cli(*args, cwd=tmp_path), tmp_path, before, says)
    r = run_cli("evaluate", "norow.csv", "--truth", "truth.npy", "--json", cwd=tmp_path)  # its one label column
    assert r.returncode == 0 and json.loads(r.stdout)["ari"] == pytest.approx(1.0)


def test_table_readings_that_used_to_be_silent(tmp_path):
    from clusterlab.data import load

    (tmp_path / "decimal.csv").write_text("a;b;kind\n1,5;2,25;x\n3,5;1,0;y\n2,0;0,5;x\n8,5;9,0;y\n")
    ds = load(str(tmp_path / "decimal.csv"))
    assert ds.schema.numeric == ["a", "b"] and ds.features["a"].tolist() == [1.5, 3.5, 2.0, 8.5]
    assert any("decimal commas" in n for n in ds.notes)
    (tmp_path / "mostly.csv").write_text("a,b\n1,2\n3,x\n4,5\n6,y\n7,8\n")
    ds = load(str(tmp_path / "mostly.csv"))
    assert ds.schema.categorical == ["b"] and any("'b' is 60% numbers" in n for n in ds.notes)
    (tmp_path / "latin.csv").write_bytes("name,value\ncaf\xe9,1\nna\xefve,2\nx,3\n".encode("latin-1"))
    ds = load(str(tmp_path / "latin.csv"))
    assert ds.features["name"].tolist()[0] == "café" and any("not UTF-8" in n for n in ds.notes)
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 8)
    r = run_cli("auto", "binary.csv", "-o", "o", cwd=tmp_path)
    assert_refused(r, says="binary")


def test_misleading_messages_say_what_is_wrong(tmp_path):
    (tmp_path / "one.csv").write_text("a,b\n1,2\n")
    pd.DataFrame({"a": np.arange(30.0), "b": np.arange(30.0) % 7}).to_csv(tmp_path / "t.csv", index=False)
    before = snapshot(tmp_path)
    for args, says in [(["auto", "one.csv"], "1 row: clustering needs at least 2"),
                       (["auto", "t.csv", "--max-k", "1"], "--max-k must be at least 2")]:
        r = run_cli(*args, cwd=tmp_path)
        assert_refused(r, tmp_path, before, says)
        assert "min_k" not in r.stderr and "usable column" not in r.stderr


def test_a_recommender_with_nan_weights_ranks_nothing(tmp_path):
    import shutil

    from safetensors.numpy import load_file, save_file

    from clusterlab.recommend.recommender import SHIPPED, Recommender

    shutil.copytree(SHIPPED, tmp_path / "model")
    path = tmp_path / "model" / "weights.safetensors"
    save_file({k: np.full_like(v, np.nan) for k, v in load_file(str(path)).items()}, str(path))
    with pytest.raises(DataError, match="NaN or infinite weights"):
        Recommender.load(tmp_path / "model")
