"""The `clusterlab` command: parses, calls the library, prints. No logic of its own."""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import List, Optional

import typer
import typer.core
from rich.console import Console
from rich.table import Table

from .errors import ClusterlabError, DataError, ParameterError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Find good clusters in unlabelled data.")
# Piped output keeps whole table rows rather than wrapping at Rich's default of 80 columns.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

DataDir = typer.Option(None, "--data-dir", envvar="CLUSTERLAB_DATA",
                       help="Folder holding clustbench/, tabular/ and images/ (for bundled names).")
Label = typer.Option(None, "--label", help="Column (or .npz array) with ground truth; set aside, used only to score.")


def _seed(value: int) -> int:
    from .algorithms import check_seed

    try:
        check_seed(value)
    except ParameterError as exc:
        raise ParameterError(f"--{exc}") from None
    return value


Seed = typer.Option(0, "--seed", callback=_seed, help="Random seed (0 to 4,294,967,295); the same inputs and seed "
                                                      "give the same output.")
Missing = typer.Option("error", "--missing", help="Missing cells: error, impute (median / most frequent) or drop rows.")


class _EstimatorProgress:
    """A Rich bar over the k estimators, for `on_estimate` callbacks; silent when stderr is not
    a terminal, so logs and pipes get no cursor codes or blank lines."""

    def __enter__(self):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = None
        if not err.is_terminal:
            return self

        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=err, transient=True)
        self.progress.start()
        self.task = self.progress.add_task("estimating k", total=None)
        return self

    def __call__(self, estimate, done: int, total: int) -> None:
        if self.progress:
            self.progress.update(self.task, completed=done, total=total,
                                 description=f"estimating k ({estimate.method}: {estimate.k})")

    def batches(self, done: int, total: int, seconds_left: float, what: str = "image features") -> None:
        """A long step's batches or epochs (a backbone's images, an autoencoder's epochs), with the time left."""
        if self.progress:
            self.progress.update(self.task, completed=done, total=total,
                                 description=f"{what}, about {seconds_left / 60:.1f} min left")

    def __exit__(self, *exc):
        if self.progress:
            self.progress.stop()


def _parse_params(pairs: list[str]) -> dict:
    params = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ParameterError(f"--param takes KEY=VALUE, got {pair!r}")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw  # a bare word such as `full` stays a string
    return params


@app.command()
def auto(
    source: str = typer.Argument("wine", help="A file (CSV, Parquet, .npy/.npz, ...) or a bundled dataset name."),
    output: Path = typer.Option(Path("clusterlab-out"), "-o", "--output",
                                help="Folder for labels.csv, summary.json, report.html and the model "
                                     "`clusterlab assign` reads."),
    label: Optional[str] = Label,
    max_k: Optional[int] = typer.Option(None, "--max-k", help="Largest number of clusters considered (default "
                                                               "10; 15 for images)."),
    missing: str = typer.Option("impute", "--missing", help="Missing cells: impute (default here), drop or error."),
    runners_up: int = typer.Option(2, "--runners-up", help="How many next-ranked algorithms to fit and compare."),
    view: str = typer.Option("pca", "--view", help="The report's 2-D map: pca, or umap (slower on first use)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write report.html."),
    budget: Optional[float] = typer.Option(None, "--budget", help="Images: minutes the whole job may take (a slow "
                                                                  "backbone is skipped, the head stops early)."),
    seed: int = Seed,
    data_dir: Optional[str] = DataDir,
):
    """The main job: choose an algorithm and k, cluster, score, write an output folder with a report."""
    from .files import check_output_folder
    from .job import VIEWS, auto as run_auto, write_outputs

    if view not in VIEWS:
        raise ParameterError(f"--view {view!r} is not allowed; choose one of: {', '.join(VIEWS)}")
    if max_k is not None and max_k < 2:
        raise ParameterError(f"--max-k must be at least 2 (the smallest number of clusters there is), got {max_k}")
    if budget is not None and budget <= 0:
        raise ParameterError(f"--budget must be a positive number of minutes, got {budget}")
    check_output_folder(output)
    with _EstimatorProgress() as progress:
        result = run_auto(source, label=label, data_dir=data_dir, max_k=max_k, seed=seed, missing=missing,
                          on_estimate=progress, runners_up=runners_up, budget=budget, progress=progress.batches)
    with err.status("writing the report ..."):
        paths = write_outputs(result, output, report=report, view=view)
    out.print(f"[bold]{result.dataset.describe()}[/bold]")
    for note in result.notes:
        out.print(f"  note: {note}")
    for d in result.decisions:
        out.print(f"  {d.step}: [bold]{d.choice}[/bold] ({d.reason})")
    table = Table("score", "value", title="scores")
    for name, value in {**result.internal, **(result.external or {})}.items():
        table.add_row(name, f"{value:.4f}")
    table.add_row("cluster sizes", ", ".join(map(str, result.balance["sizes"])))
    out.print(table)
    written = ", ".join(str(p) for p in paths.values())
    out.print(f"wrote {written} in {result.seconds:.1f} s")


@app.command()
def assign(
    model: Path = typer.Argument(..., help="The output folder of `clusterlab auto` (its -o)."),
    source: str = typer.Argument(..., help="New rows: a file in any format `auto` reads, or a bundled name."),
    output: Path = typer.Option(Path("assigned.csv"), "-o", "--output",
                                help="Where to write row, cluster, confidence, outlier."),
    label: Optional[str] = Label,
    data_dir: Optional[str] = DataDir,
):
    """Label new rows by the model `clusterlab auto` saved: cluster, confidence, outlier flag."""
    from . import assign as run_assign

    with err.status("assigning ..."):
        result = run_assign(model, source, output=output, label=label, data_dir=data_dir)
    for warning in result.warnings():
        err.print(f"warning: {warning}")
    out.print(f"{result.describe()} -> {output}")


@app.command()
def cluster(
    source: str = typer.Argument(..., help="A file or a bundled dataset name."),
    algorithm: str = typer.Option(..., "--algorithm", "-a", help="A registered algorithm (see `clusterlab algorithms`)."),
    k: Optional[int] = typer.Option(None, "--k", "-k", help="Number of clusters, for algorithms that need it."),
    output: Path = typer.Option(Path("labels.csv"), "-o", "--output", help="Where to write row,cluster."),
    label: Optional[str] = Label,
    param: List[str] = typer.Option([], "--param", "-p", help="Algorithm parameter KEY=VALUE (repeatable)."),
    scale: str = typer.Option("auto", "--scale", help="auto, standard, minmax, robust or none."),
    categorical: str = typer.Option("onehot", "--categorical", help="Text columns: onehot or ordinal codes."),
    missing: str = Missing,
    seed: int = Seed,
    data_dir: Optional[str] = DataDir,
):
    """Run one algorithm and write its labels."""
    import numpy as np
    import pandas as pd

    from .algorithms import fit_predict, get
    from .data import load
    from .files import check_output_file, write_atomic
    from .metrics import external_scores
    from .prep import prepare

    spec = get(algorithm)
    params = _parse_params(param)
    check_output_file(output, "labels file")
    dataset = load(source, label=label, data_dir=data_dir, seed=seed)
    prepared = prepare(dataset, spec.input, scale=scale, categorical=categorical, missing=missing)
    with err.status(f"{spec.name} on {dataset.n:,} rows ..."):
        result = fit_predict(spec.name, prepared.data, k, seed=seed, **params)
    labels = prepared.on_all_rows(result.labels, -1)
    frame = pd.DataFrame({"row": np.arange(labels.size), "cluster": labels})
    write_atomic(output, lambda p: frame.to_csv(p, index=False))
    for note in [*dataset.notes, *prepared.notes]:
        out.print(f"note: {note}")
    noise = f", {result.n_noise} noise points" if result.n_noise else ""
    out.print(f"{spec.name}: {result.n_clusters} clusters{noise} on {dataset.n:,} rows in {result.seconds:.2f} s "
              f"-> {output}")
    if dataset.truth is not None:
        scores = external_scores(dataset.references, labels)
        out.print("  " + "  ".join(f"{m}={v:.4f}" for m, v in scores.items()))


@app.command()
def autok(
    source: str = typer.Argument(..., help="A file or a bundled dataset name."),
    min_k: int = typer.Option(2, "--min-k", help="Smallest number of clusters considered."),
    max_k: int = typer.Option(10, "--max-k", help="Largest number of clusters considered."),
    methods: Optional[str] = typer.Option(None, "--methods", help="Comma-separated estimators (default: all)."),
    sample_size: int = typer.Option(2048, "--sample-size", help="Estimate on a random sample of this many rows (0: all)."),
    output: Path = typer.Option(Path("autok-out"), "-o", "--output", help="Folder for autok.json and the curves plot."),
    label: Optional[str] = Label,
    missing: str = typer.Option("impute", "--missing", help="Missing cells: impute, drop or error."),
    seed: int = Seed,
    data_dir: Optional[str] = DataDir,
):
    """Estimate the number of clusters with every estimator and their consensus."""
    from .autok import estimate_k
    from .data import load
    from .files import check_output_folder, write_run_folder
    from .prep import GowerData, prepare
    from .report.figures import autok_curves

    check_output_folder(output)
    chosen = [m.strip() for m in methods.split(",") if m.strip()] if methods else None
    dataset = load(source, label=label, data_dir=data_dir, seed=seed)
    x = prepare(dataset, missing=missing).data  # a mixed table: its Gower encoding, embedded by the estimators
    with _EstimatorProgress() as progress:
        result = estimate_k(x, methods=chosen, min_k=min_k, max_k=max_k, sample_size=sample_size or None, seed=seed,
                            on_estimate=progress)
    summary = {"dataset": dataset.name, **result.to_dict()}
    write_run_folder(output, {"autok.json": lambda p: p.write_text(json.dumps(summary, indent=2)),
                              "autok-curves.png": lambda p: autok_curves(result, p)},
                     owned=("autok.json", "autok-curves.png"), info={"command": "autok"})
    plot = output / "autok-curves.png"
    table = Table("estimator", "k", "weight", "seconds", "criterion", title=f"{dataset.describe()}")
    for e in result.estimates:
        table.add_row(e.method, "-" if e.k is None else str(e.k), f"{result.weights[e.method]:.2f}",
                      f"{e.seconds:.2f}", e.criterion + (f" ({e.note})" if e.note else ""))
    out.print(table)
    votes = ", ".join(f"k={k}: {v:.2f}" for k, v in sorted(result.votes.items(), key=lambda kv: -kv[1]))
    for note in result.notes:
        out.print(f"note: {note}")
    how = (f"decided by {result.decided_by}; the weighted vote says k = {result.vote_k}: {votes}"
           if result.decided_by != "vote" else f"weighted votes {votes}")
    out.print(f"consensus k = [bold]{result.k}[/bold]  ({how})")
    if not isinstance(x, GowerData) and min_k <= 2:
        from .choice import rank
        from .recommend.recommender import Recommender

        ranked = rank(x, max_k, result, Recommender.load().predict(x, seed=seed), seed)
        if ranked is not None:
            best = ranked.row(ranked.best)
            out.print(f"the judge of partitions: k = [bold]{best['k']}[/bold] with {best['candidate']} "
                      f"(expected ARI {best['predicted']:.2f}), choosing algorithm and k together")
    out.print(f"wrote {output / 'autok.json'} and {plot}")


class _FileGroup(typer.core.TyperGroup):
    """A group whose default command takes a FILE: `clusterlab recommend FILE` recommends, while
    `clusterlab recommend label|train` are subcommands. Anything that is not a subcommand name
    is taken as the FILE of the hidden `file` command."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["file", *args]
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx, formatter):
        subcommands = " | ".join(f"{name} [OPTIONS]" for name, c in self.commands.items() if not c.hidden)
        formatter.write_usage(ctx.command_path, f"FILE [OPTIONS] | {subcommands}")


recommend_app = typer.Typer(cls=_FileGroup, no_args_is_help=True,
                            help="Recommend algorithms for a dataset (`recommend FILE`); build the meta-dataset "
                                 "(`recommend label`) and train the network (`recommend train`). "
                                 "`clusterlab recommend FILE --help` lists the options of a recommendation.")
app.add_typer(recommend_app, name="recommend")


@recommend_app.command("file", hidden=True)
def recommend_file(
    source: str = typer.Argument(..., help="A file or a bundled dataset name."),
    model: Optional[Path] = typer.Option(None, "--model", help="A run folder of `recommend train` (default: the "
                                                                  "model shipped with clusterlab)."),
    top: int = typer.Option(5, "--top", help="How many algorithms and candidates to list."),
    max_k: int = typer.Option(10, "--max-k", help="Largest k of the candidates the judge ranks."),
    as_json: bool = typer.Option(False, "--json", help="Print the recommendation as JSON."),
    label: Optional[str] = Label,
    missing: str = typer.Option("impute", "--missing", help="Missing cells: impute, drop or error."),
    seed: int = Seed,
    data_dir: Optional[str] = DataDir,
):
    """Rank the algorithms for a dataset by their predicted ARI, with a k."""
    from .choice import rank_matrix
    from .data import load
    from .prep import prepare
    from .recommend.recommender import Recommender

    if top < 1:
        raise ParameterError(f"--top must be at least 1, got {top}")
    if max_k < 2:
        raise ParameterError(f"--max-k must be at least 2, got {max_k}")
    dataset = load(source, label=label, data_dir=data_dir, seed=seed)
    x = prepare(dataset, "matrix", missing=missing).data
    recommender = Recommender.load(model)
    rec = recommender.predict(x, seed=seed)
    ranked = rank_matrix(x, max_k, rec, seed)
    candidates = [ranked.row(i) for i in ranked.order[:top]] if ranked is not None else []
    if as_json:
        print(json.dumps({"dataset": dataset.name, **rec.to_dict(), "candidates": candidates}, default=str))
        return
    out.print(f"[bold]{dataset.describe()}[/bold]: recommender `{rec.model}`")
    table = Table("rank", "algorithm", rec.score)
    for i, (name, score) in enumerate(rec.ranking[:top], 1):
        table.add_row(str(i), name, f"{score:.3f}")
    out.print(table)
    for note in rec.notes:
        out.print(f"note: {note}")
    if rec.interval:
        out.print(f"{rec.algorithm}: expected ARI {rec.ranking[0][1]:.2f}, 80 % interval "
                  f"[{rec.interval[0]:.2f}, {rec.interval[1]:.2f}] (calibrated on held-out synthetic data)")
    if rec.k is not None:
        out.print(f"k = [bold]{rec.k}[/bold] (probability {rec.k_probability:.2f})")
    out.print(f"in {rec.seconds * 1000:.0f} ms (loading the model took {recommender.load_seconds:.1f} s)")
    if candidates:
        table = Table("rank", "candidate", "k", "expected ARI", "80 % interval",
                      title=f"algorithm and k together: the judge of partitions over {len(ranked.cset.candidates)} "
                            "candidates")
        for i, c in enumerate(candidates, 1):
            table.add_row(str(i), c["candidate"], str(c["k"]), f"{c['predicted']:.3f}",
                          f"[{c['interval'][0]:.2f}, {c['interval'][1]:.2f}]")
        out.print(table)
        out.print("the first is what `clusterlab auto` runs (the fewest clusters within "
                  f"{ranked.judge.margin:.2f} of the best expected ARI, no cluster under {ranked.judge.min_share:.0%})")


@recommend_app.command("label")
def recommend_label(
    count: int = typer.Option(10_000, "--count", help="How many synthetic datasets the meta-dataset should hold."),
    output: Path = typer.Option(Path("runs/metadataset.csv"), "-o", "--output",
                                help="CSV of specs and labels; appended to, so a stopped run resumes."),
    backend: str = typer.Option("processes", "--backend", help="serial, processes, or a Dask scheduler address."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Local worker processes (default: one per core)."),
    max_n: int = typer.Option(2000, "--max-n", help="Largest number of rows of a generated dataset."),
):
    """Label synthetic datasets with the ARI of every registered algorithm (resumable)."""
    from .recommend import label_many

    if count < 1:
        raise ParameterError(f"--count must be at least 1, got {count}")
    if max_n < 20:
        raise ParameterError(f"--max-n must be at least 20, got {max_n}")
    from .files import check_output_file

    stats = label_many(check_output_file(output, "meta-dataset file"), count, backend=backend, workers=workers,
                       max_n=max_n)
    out.print(f"{stats['labelled']} datasets labelled ({stats['already']} were already there, {stats['failed']} "
              f"failed) into {output} in {stats['wall_seconds'] / 60:.1f} min on {stats['workers']} workers: "
              f"{stats['per_core_hour']:.0f} datasets per core-hour")


@recommend_app.command("train")
def recommend_train(
    labels: Path = typer.Option(Path("runs/metadataset.csv"), "--labels", help="The meta-dataset (recommend label)."),
    run: Path = typer.Option(Path("runs/recommender"), "--run", help="Run folder for checkpoints and history."),
    model_name: str = typer.Option("set", "--model-name", help="set (clusterlab's), or a ClustRecNet variant: "
                                   "baseline_cnn, no_cnn, no_res, no_att, cnnresatt."),
    epochs: int = typer.Option(30, "--epochs"),
    lr: Optional[float] = typer.Option(None, "--lr", help="Learning rate (default: 1e-3 set, 1e-4 ClustRecNet)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Default: 64 set, 32 ClustRecNet."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="An .npz to keep the encoded datasets in between runs."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --run from its last checkpoint."),
    seed: int = Seed,
):
    """Train a recommender on the meta-dataset (held-out synthetic test split)."""
    from .recommend import read_labels_table
    from .recommend.examples import build_examples
    from .recommend.train import TrainConfig, train

    config = TrainConfig(model_name=model_name, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)
    table = read_labels_table(labels)
    with err.status(f"encoding {len(table):,} datasets for {model_name} ...") as status:
        examples = build_examples(table, config.kind, m=config.m, p=config.p, cache=cache,
                                  progress=lambda done, total: status.update(f"encoding {done:,} of {total:,} ..."))

    def report(record: dict) -> None:
        k = f"  k accuracy {record['k_accuracy']:.3f}" if "k_accuracy" in record else ""
        out.print(f"epoch {record['epoch']:3d}  loss {record['train_loss']:.4f}  test: chosen ARI "
                  f"{record['chosen_ari']:.3f} (oracle {record['oracle_ari']:.3f}, best single "
                  f"{record['best_single']} {record['best_single_ari']:.3f}){k}")

    result = train(examples, run, config, resume=resume, on_epoch=report)
    out.print(f"{result['train']} training and {result['test']} test datasets; checkpoint in {run}")


deep_app = typer.Typer(no_args_is_help=True, help="Deep clustering of images: train, resume, test, several seeds.")
app.add_typer(deep_app, name="deep")


def _deep_progress():
    """A Rich bar over all epochs of a run when stderr is a terminal; one line per epoch otherwise."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    if not err.is_terminal:
        def line(record: dict, total: int) -> None:
            extras = "  ".join(f"{k} {v:.4f}" for k, v in record.items() if isinstance(v, float) and k != "seconds")
            err.print(f"{record['phase']} {record['epoch']}: {extras} ({record['seconds']:.1f} s)", highlight=False)
        return None, line
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=err, transient=True)
    task = bar.add_task("training", total=None)

    def update(record: dict, total: int) -> None:
        shown = ", ".join(f"{k} {record[k]:.3f}" for k in ("reconstruction", "cluster", "acc") if k in record)
        bar.update(task, completed=record["step"], total=total, description=f"{record['phase']} {record['epoch']}: {shown}")
    return bar, update


@deep_app.command("train")
def deep_train(
    overrides: List[str] = typer.Argument(None, help="KEY=VALUE overrides of the config, e.g. model.pretrain_epochs=5."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="A YAML config (see configs/deep/)."),
    resume: Optional[Path] = typer.Option(None, "--resume", help="Continue the run in this folder from its checkpoint."),
    test_only: Optional[Path] = typer.Option(None, "--test-only", help="Evaluate the finished run in this folder."),
    device: Optional[str] = typer.Option(None, "--device", help="cpu or cuda (overrides run.device)."),
    seeds: Optional[str] = typer.Option(None, "--seeds", help="Comma-separated seeds: one run each, then mean +- std."),
    data_dir: Optional[str] = DataDir,
):
    """Train a deep clustering method in a run folder (config, checkpoints, TensorBoard, figures)."""
    from .deep.session import Session, new_sessions, summarise_seeds

    if resume and test_only:
        raise ParameterError("--resume and --test-only exclude each other")
    if resume or test_only:
        if config or overrides:
            given = " and ".join(w for w, v in (("--config", config), ("KEY=VALUE overrides", overrides)) if v)
            raise ParameterError(f"a resumed or tested run keeps its own config; drop {given} (--device may change)")
        session = Session.open(resume or test_only, data_dir, device)
        runs = [(session, bool(resume), bool(test_only))]
    else:
        extra = list(overrides or []) + ([f"run.device={device}"] if device else [])
        try:
            seed_list = [int(s) for s in seeds.split(",")] if seeds else None
        except ValueError:
            raise ParameterError(f"--seeds takes whole numbers separated by commas, got {seeds!r}") from None
        runs = [(session, False, False) for session in new_sessions(config, extra, seed_list, data_dir)]
    results = []
    for session, is_resume, is_test in runs:
        out.print(f"run folder: {session.folder}")
        bar, update = _deep_progress()
        if bar:
            bar.start()
        try:
            result = session.run(resume=is_resume, test_only=is_test, progress=update)
        finally:
            if bar:
                bar.stop()
        results.append(result)
        metrics = "  ".join(f"{k.upper()} {result[k]:.4f}" for k in ("acc", "nmi", "ari") if k in result)
        out.print(f"{result['method']} on {result['data']}: {metrics}  ({result['train_seconds']:.0f} s training)")
    if len(results) > 1:
        summary = summarise_seeds(results)
        out.print("over seeds " + ", ".join(f"{k.upper()} {v['mean']:.4f} +- {v['std']:.4f}" for k, v in summary.items()))


@deep_app.command("methods")
def deep_methods():
    """List the deep clustering methods and their options."""
    from .deep.methods import METHODS, options_of

    table = Table("method", "options", "description")
    for name, cls in METHODS.items():
        table.add_row(name, ", ".join(sorted(options_of(name))), (cls.__doc__ or "").strip().splitlines()[0]
                      if cls.__doc__ else "")
    out.print(table)


explain_app = typer.Typer(cls=_FileGroup, no_args_is_help=True,
                          help="Per-cluster interpretable models for a table (`explain FILE --target COLUMN`); "
                               "apply a saved study to new rows (`explain evaluate`). "
                               "`clusterlab explain FILE --help` lists the study's options.")
app.add_typer(explain_app, name="explain")


@explain_app.command("file", hidden=True)
def explain_file(
    source: Path = typer.Argument(..., help="A CSV or Parquet table."),
    target: str = typer.Option(..., "--target", help="The column to predict."),
    cluster: str = typer.Option("auto", "--cluster", help="gower (k-medoids on Gower distance), kmeans (numeric "
                                                          "columns, k = 4) or auto (gower when any column is not numeric)."),
    k: Optional[int] = typer.Option(None, "--k", help="Number of clusters (default: by silhouette for gower, 4 for kmeans)."),
    task: str = typer.Option("auto", "--task", help="classification, regression or auto (from the target column)."),
    models: str = typer.Option("imn,tabresnet,linear,boosting", "--models", help="Comma-separated: imn, tabresnet, "
                                                                               "linear, boosting."),
    seeds: int = typer.Option(1, "--seeds", help="Repeat with seeds 0..N-1 (splits, clusters, training)."),
    trials: int = typer.Option(0, "--trials", help="Optuna trials to tune IMN and TabResNet (0: paper-like defaults)."),
    timeout: Optional[float] = typer.Option(None, "--timeout", help="Seconds each tuning study may take."),
    storage: Optional[str] = typer.Option(None, "--storage", help="Optuna storage: a SQLite file or URL (default: "
                                                                   "OUT/optuna.db, so a study resumes)."),
    shap_rows: int = typer.Option(100, "--shap-rows", help="Test rows per cluster explained by SHAP."),
    output: Optional[Path] = typer.Option(None, "-o", "--out", help="Output folder (default: runs/explain-<file>)."),
):
    """Train a whole-data model and one per cluster; compare scores and explanations (IMN vs SHAP)."""
    from .explain.study import read_study_table, run_study
    from .files import check_output_folder

    if seeds < 1:
        raise ParameterError(f"--seeds must be at least 1, got {seeds}")
    folder = check_output_folder(output or Path("runs") / f"explain-{source.stem}", "study folder")
    frame, schema, y = read_study_table(source, target)
    storage = storage or (str(folder / "optuna.db") if trials else None)
    result = run_study(frame, schema, y, target=target, task=task, cluster=cluster, k=k,
                       models=tuple(m.strip() for m in models.split(",") if m.strip()), seeds=tuple(range(seeds)),
                       tune_trials=trials, tune_timeout=timeout, storage=storage, shap_rows=shap_rows, out=folder,
                       progress=lambda message: err.print(f"[dim]{message}[/dim]", highlight=False))
    out.print((folder / "comparison.md").read_text())
    out.print(f"wrote {folder} (comparison.md, importance.csv, agreement.csv, figures/, models/) "
              f"in {result.seconds:.0f} s")


@explain_app.command("evaluate")
def explain_evaluate(
    folder: Path = typer.Argument(..., help="The output folder of `clusterlab explain`."),
    source: Path = typer.Argument(..., help="A CSV or Parquet table of new rows (the target column optional)."),
    output: Optional[Path] = typer.Option(None, "-o", "--out", help="CSV of predictions (default: FOLDER/predictions.csv)."),
):
    """Route new rows to their clusters and predict with the saved whole-data and per-cluster models."""
    from .explain.study import evaluate_file
    from .files import check_output_file, write_atomic

    path = check_output_file(output or folder / "predictions.csv", "predictions file")
    predictions, scores = evaluate_file(folder, source)
    write_atomic(path, lambda p: predictions.to_csv(p, index=False))
    if scores:
        table = Table("model", *next(iter(scores.values())).keys())
        for name, values in scores.items():
            table.add_row(name, *(f"{v:.4f}" for v in values.values()))
        out.print(table)
    out.print(f"wrote {path} ({len(predictions):,} rows)")


@app.command()
def algorithms():
    """List the registered algorithms."""
    from .algorithms import REGISTRY

    table = Table("name", "input", "family", "needs k", "distance matrix", "cost", "max n", "library", "description")
    for column in table.columns[:8]:
        column.no_wrap = True
    for s in REGISTRY.values():
        needs_k = "optional" if s.k_optional else "yes" if s.needs_k else "no"
        table.add_row(s.name, s.input, s.family, needs_k, "yes" if s.precomputed else "no", s.cost,
                      f"{s.max_n:,}" if s.max_n else "-", s.library, s.description)
    out.print(table)


@app.command()
def datasets(data_dir: Optional[str] = DataDir):
    """List the datasets reachable by name."""
    from .data import list_datasets

    frame = list_datasets(data_dir)
    table = Table(*frame.columns)
    for row in frame.itertuples(index=False):
        table.add_row(*map(str, row))
    out.print(table)
    if not (data_dir or os.environ.get("CLUSTERLAB_DATA")):
        out.print("(pass --data-dir or set CLUSTERLAB_DATA to list the benchmark data too)")


@app.command()
def evaluate(
    labels: Path = typer.Argument(..., help="Labels to score: a CSV with a `cluster` column (or .npy)."),
    truth: str = typer.Option(..., "--truth", help="Ground truth: a CSV/.npy of labels, or a bundled dataset name."),
    truth_column: Optional[str] = typer.Option(None, "--truth-column", help="Column of the truth CSV (default: label, else last)."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
    data_dir: Optional[str] = DataDir,
):
    """Score labels against ground truth (ARI, NMI, AMI, ACC, purity, NCA)."""
    from .data import load, read_labels
    from .metrics import external_scores

    pred = read_labels(labels, prefer=("cluster",))
    truth_path = Path(truth)
    if truth_path.exists() and truth_path.suffix.lower() in (".csv", ".npy", ".parquet", ".pq"):
        refs = [read_labels(truth_path, truth_column, prefer=("label",))]
    else:
        dataset = load(truth, data_dir=data_dir)
        if dataset.truth is None:
            raise DataError(f"{truth} has no ground truth to score against")
        refs = dataset.references
    scores = external_scores(refs, pred)
    if as_json:
        print(json.dumps(scores))
        return
    table = Table("score", "value")
    for name, value in scores.items():
        table.add_row(name, f"{value:.4f}")
    out.print(table)


def main() -> None:
    import click

    warnings.filterwarnings("ignore", module="sklearn")
    try:
        code = app(standalone_mode=False)
    except ClusterlabError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, typer.Abort):
        err.print("interrupted")
        sys.exit(130)
    except (click.ClickException, typer.TyperException) as exc:  # a usage error: one line too, and where to read more
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if message.strip():  # no message: the help was asked for by giving no arguments, and is shown
            err.print(f"[red]error:[/red] {message}{hint}", highlight=False, soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 2) or 2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
