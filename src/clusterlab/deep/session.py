"""The session runner: one folder per run, with everything needed to read, resume or re-test it.

    RUN/config.yaml              the resolved config (file + overrides + defaults)
    RUN/checkpoint/              weights.safetensors, optimizer.safetensors, state.json (swapped in whole)
    RUN/tensorboard/             scalars: losses, ACC / NMI / ARI when a truth exists, cluster sizes
    RUN/figures/                 training curves, cluster balance, confusion matrix (PNG)
    RUN/result.json              final metrics, sizes, wall time

A checkpoint is written after every epoch into a fresh folder that then replaces the old one,
so a kill leaves the last whole checkpoint. `resume` rebuilds the method from config.yaml and
continues at the next epoch; epochs draw their randomness from (seed, phase, epoch), so the
resumed run ends in the state the uninterrupted one would have.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..checkpoints import load_optimizer, load_tensors, read_json, save_optimizer, save_tensors
from ..errors import DataError, NotFoundError
from ..sampling import subsample
from .config import dump
from .methods import DeepClusterer, as_images, make_method


def _check_state(state: dict, path: Path) -> None:
    """A checkpoint's state.json as the runner wrote it: whole numbers where it counts, a list of epochs."""
    for key in ("phase", "epoch"):
        if not isinstance(state.get(key), int) or isinstance(state.get(key), bool) or state[key] < 0:
            raise DataError(f"{path} is corrupt: {key!r} must be a whole number of at least 0, got {state.get(key)!r}")
    if not isinstance(state.get("history", []), list):
        raise DataError(f"{path} is corrupt: 'history' must be a list of epochs")


def load_images(config: dict, data_dir=None):
    """(train images, train truth, eval images, eval truth, note) for a config's data section."""
    from ..data import load

    d = config["data"]
    source = d["source"] + (f":{d['split']}" if d.get("split") and ":" not in d["source"] else "")
    dataset = load(source, label=d.get("label"), data_dir=data_dir)
    if not dataset.is_image:
        raise DataError(f"{d['source']} is not an image set; deep clustering reads images")
    x, y = dataset.features, dataset.truth
    note = f"{dataset.name}: {len(x):,} images {tuple(x.shape[1:])}"
    if d.get("max_samples") and d["max_samples"] < len(x):
        keep = subsample(len(x), d["max_samples"], config["run"]["seed"])
        x, y = x[keep], (y[keep] if y is not None else None)
        note += f", a random {len(x):,} of them"
    ex, ey = x, y
    if d.get("eval_split"):
        other = load(f"{d['source'].split(':')[0]}:{d['eval_split']}", label=d.get("label"), data_dir=data_dir)
        ex, ey = other.features, other.truth
        note += f"; evaluated on the {d['eval_split']} split ({len(ex):,} images)"
    return as_images(x), y, as_images(ex), ey, note


def scores(truth, labels) -> dict:
    from ..metrics import accuracy, ari, nmi

    if truth is None:
        return {}
    return {"acc": accuracy(truth, labels), "nmi": nmi(truth, labels), "ari": ari(truth, labels)}


class Session:
    def __init__(self, folder: Path, config: dict, data_dir=None):
        self.folder, self.config, self.data_dir = Path(folder), config, data_dir

    @classmethod
    def new(cls, config: dict, data_dir=None) -> "Session":
        run = config["run"]
        name = run.get("name") or f"{config['method']}-{Path(config['data']['source']).name}-seed{run['seed']}-" \
                                  f"{datetime.now().strftime('%Y%m%d-%H%M%S')}"
        folder = Path(run["out"]) / name
        if (folder / "checkpoint").exists():
            raise DataError(f"{folder} already holds a run; resume it with --resume {folder} or pick another run.name")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.yaml").write_text(dump(config))
        return cls(folder, config, data_dir)

    @classmethod
    def open(cls, folder: str | Path, data_dir=None, device: str | None = None) -> "Session":
        """A run folder as its config.yaml left it; `device` moves it to another device (a
        resumed run may continue on a GPU, or be tested on the CPU)."""
        from .config import load_config

        folder = Path(folder)
        if not (folder / "config.yaml").exists():
            raise NotFoundError(f"{folder} is not a run folder (no config.yaml)")
        return cls(folder, load_config(folder / "config.yaml", [f"run.device={device}"] if device else []), data_dir)

    # ---- checkpoints ------------------------------------------------------------------------------
    def save(self, method: DeepClusterer, state: dict) -> None:
        new, live, old = (self.folder / n for n in ("checkpoint.new", "checkpoint", "checkpoint.old"))
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir()
        save_tensors(new / "weights.safetensors", method.tensors())
        if method.optimizer is not None:  # patch k-means learns without one
            save_optimizer(new / "optimizer.safetensors", method.optimizer)
        (new / "state.json").write_text(json.dumps(state, indent=1))
        if live.exists():
            shutil.rmtree(old, ignore_errors=True)
            live.rename(old)
        new.rename(live)
        shutil.rmtree(old, ignore_errors=True)

    def load(self, method: DeepClusterer) -> dict:
        ckpt = self.folder / "checkpoint"
        if not ckpt.exists() and (self.folder / "checkpoint.old").exists():
            ckpt = self.folder / "checkpoint.old"  # killed between the two renames of a save
        if not (ckpt / "state.json").exists():
            raise DataError(f"{self.folder} has no checkpoint to resume from")
        state = read_json(ckpt / "state.json", "checkpoint state")
        _check_state(state, ckpt / "state.json")
        tensors = load_tensors(ckpt / "weights.safetensors", "checkpoint weights")
        try:
            method.load_tensors(tensors)
        except (RuntimeError, KeyError, ValueError) as exc:
            raise DataError(f"the checkpoint in {ckpt} is from another model: "
                            f"{str(exc).splitlines()[0][:200]}") from None
        if method.optimizer is not None:
            load_optimizer(ckpt / "optimizer.safetensors", method.optimizer)
        return state

    # ---- running ----------------------------------------------------------------------------------
    def method(self) -> DeepClusterer:
        c = self.config
        return make_method(c["method"], **c["model"], seed=c["run"]["seed"], device=c["run"]["device"])

    def run(self, resume: bool = False, test_only: bool = False, progress: Callable[[dict, int], None] | None = None
            ) -> dict:
        from torch.utils.tensorboard import SummaryWriter

        x, y, ex, ey, note = load_images(self.config, self.data_dir)
        method = self.method()
        method.build(tuple(x.shape[1:]))
        state = {"phase": 0, "epoch": 0, "history": [], "step": 0}
        if resume or test_only:
            state = self.load(method)
        total = sum(p.epochs for p in method.phases())
        started = time.perf_counter()
        if not test_only:
            writer = SummaryWriter(str(self.folder / "tensorboard"), purge_step=state.get("step", 0) + 1)

            def after_epoch(record: dict) -> None:
                labels = method.current_labels(x)
                if labels is not None:
                    record.update(scores(y, labels))
                    sizes = np.bincount(labels, minlength=method.n_clusters)
                    record["size_std"] = float(sizes.std())
                for key, value in record.items():
                    if isinstance(value, float):
                        writer.add_scalar(f"{record['phase']}/{key}", value, record["step"])
                _log_embedding(writer, method, y, record["step"])
                self.save(method, state)
                if progress:
                    progress(record, total)

            method.train(x, state, after_epoch)
            self.save(method, state)
            writer.close()
        elif not state.get("finished"):
            raise DataError(f"the run in {self.folder} has not finished training; --resume it first")
        else:
            method.finish(x)
        labels = method.predict_tensor(ex)
        sizes = np.bincount(labels, minlength=int(labels.max()) + 1)
        extra = method.evaluate(x, y, ex, ey)
        train_seconds = sum(r["seconds"] for r in state["history"]) + state.get("finish_seconds", 0.0)
        result = {"method": self.config["method"], "data": note, **scores(ey, labels), **extra,
                  "cluster_sizes": sizes.tolist(), "train_seconds": train_seconds,
                  "wall_seconds": time.perf_counter() - started, "epochs": len(state["history"])}
        self.figures(state["history"], labels, ey, len(sizes))
        (self.folder / ("test.json" if test_only else "result.json")).write_text(json.dumps(result, indent=2))
        return result

    def figures(self, history: list[dict], labels, truth, k: int) -> None:
        from .figures import cluster_balance, confusion, training_curves

        out = self.folder / "figures"
        out.mkdir(exist_ok=True)
        training_curves(history, out / "training-curves.png")
        cluster_balance(labels, k, out / "cluster-balance.png")
        if truth is not None:
            confusion(truth, labels, out / "confusion.png")


def _log_embedding(writer, method, truth, step: int) -> None:
    """A sample of the features to TensorBoard's projector (AND's Auto-K head leaves one per
    estimate), labelled with the k-means cluster at the estimated k and, for reading only, the
    true class where known."""
    log = method.embedding_log
    if not log:
        return
    method.embedding_log = None
    from sklearn.cluster import KMeans

    features = np.asarray(log["features"])
    k = max(1, min(int(log["k"]), len(features)))
    clusters = KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(features)
    if truth is not None:
        metadata = [[str(c), str(t)] for c, t in zip(clusters, np.asarray(truth)[log["rows"]])]
        header = ["cluster", "truth"]
    else:
        metadata, header = [str(c) for c in clusters], None
    writer.add_embedding(torch.as_tensor(features), metadata=metadata, metadata_header=header,
                         global_step=step, tag=log["tag"])


def new_sessions(config_path, overrides: list[str], seeds: list[int] | None = None, data_dir=None) -> list[Session]:
    """One new run folder for each seed (the config's own seed when `seeds` is None); named runs
    get a `-seedN` suffix per seed, so several seeds never share a folder."""
    from .config import load_config

    base = load_config(config_path, overrides)
    if seeds is None:
        return [Session.new(base, data_dir)]
    name = base["run"]["name"]
    return [Session.new(load_config(config_path, [*overrides, f"run.seed={seed}"]
                                    + ([f"run.name={name}-seed{seed}"] if name else [])), data_dir) for seed in seeds]


def summarise_seeds(results: list[dict]) -> dict:
    """Mean and standard deviation of ACC / NMI / ARI / training time over runs."""
    out = {}
    for key in ("acc", "nmi", "ari", "train_seconds"):
        values = [r[key] for r in results if key in r]
        if values:
            out[key] = {"mean": float(np.mean(values)), "std": float(np.std(values)), "runs": len(values)}
    return out
