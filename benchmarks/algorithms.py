"""Every registered algorithm on every benchmark dataset, at the true number of clusters.

Datasets: the batteries under DATA/clustbench (wut, fcps, graves, other, uci, g2mg), prepared
as Gagolewski's framework prescribes, and the labelled tables under DATA/tabular (standardised,
one-hot, missing cells imputed). Algorithms that take k get the number of clusters of each
reference labelling; the best score over the references counts, noise points of the reference
left out (the framework's protocol). Algorithms without k run on their data-driven defaults.

Runs go through clusterlab.parallel (local processes, or a Dask scheduler via --backend), and
each finished run is appended to results/algorithms-runs.csv, so an interrupted benchmark
resumes where it stopped (--fresh starts over). Writes results/algorithms.md.

    python benchmarks/algorithms.py [--data-dir DIR] [--backend processes|serial|tcp://HOST:8786]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (RESULTS, benchmark_matrix, commit, default_data_dir, machine_line,  # noqa: E402
                     markdown_table, today)

BATTERIES = ("wut", "fcps", "graves", "other", "uci", "g2mg")
# Gagolewski's published mean normalised clustering accuracy (his suite, 73 datasets, n <= 10,000).
PUBLISHED_NCA = {"genie": 0.82, "gmm": 0.72, "kmeans": 0.67, "ward": 0.67, "average": 0.60, "single": 0.44}
FIELDS = ["battery", "dataset", "n", "d", "k_true", "algorithm", "nca", "ari", "k_found", "n_noise",
          "seconds", "status", "error"]


@lru_cache(maxsize=4)
def _prepared(data_dir: str, battery: str, name: str):
    return benchmark_matrix(data_dir, battery, name)


def run_one(task: tuple[str, str, str, str]) -> dict:
    """One algorithm on one dataset; failures are rows too (status refused / error)."""
    from clusterlab.algorithms import get
    from clusterlab.algorithms.registry import fit_predict
    from clusterlab.errors import TooLargeError
    from clusterlab.metrics import external_scores

    warnings.simplefilter("ignore")  # convergence chatter from 2,600 runs would bury the progress bar
    data_dir, battery, name, algorithm = task
    dataset, x = _prepared(data_dir, battery, name)
    spec = get(algorithm)
    row = {"battery": battery, "dataset": name, "n": x.shape[0], "d": x.shape[1],
           "k_true": dataset.n_clusters_true, "algorithm": algorithm}
    refs = dataset.references
    best = {"nca": -np.inf, "ari": -np.inf}
    seconds, k_found, n_noise = 0.0, None, None
    try:
        if spec.needs_k:
            by_k: dict[int, list[np.ndarray]] = {}
            for ref in refs:
                by_k.setdefault(int(np.unique(ref[ref >= 0]).size), []).append(ref)
            for k, group in by_k.items():
                result = fit_predict(algorithm, x, min(k, x.shape[0]), seed=0)
                seconds += result.seconds
                scores = external_scores(group, result.labels, which=("nca", "ari"))
                if scores["nca"] > best["nca"]:
                    best, k_found, n_noise = scores, result.n_clusters, result.n_noise
        else:
            result = fit_predict(algorithm, x, seed=0)
            seconds = result.seconds
            best = external_scores(refs, result.labels, which=("nca", "ari"))
            k_found, n_noise = result.n_clusters, result.n_noise
        row.update(best, k_found=k_found, n_noise=n_noise, seconds=round(seconds, 4), status="ok", error="")
    except TooLargeError as exc:
        row.update(nca=np.nan, ari=np.nan, seconds=0.0, status="refused", error=str(exc)[:200])
    except Exception as exc:  # the benchmark records failures rather than stopping
        row.update(nca=np.nan, ari=np.nan, seconds=0.0, status="error", error=f"{type(exc).__name__}: {exc}"[:200])
    return row


def list_tasks(data_dir: str, batteries, algorithms, tables: bool) -> list[tuple]:
    from clusterlab.data.batteries import dataset_names

    root = Path(data_dir)
    datasets = [(b, n) for b in batteries for n in dataset_names(root / "clustbench", b)]
    if tables:
        datasets += [("tabular", p.stem) for p in sorted((root / "tabular").glob("*.csv"))]
    return [(data_dir, b, n, a) for b, n in datasets for a in algorithms]


def summarise(runs: pd.DataFrame, algorithms: list[str]) -> str:
    ok = runs[runs.status == "ok"]
    parts = []
    batteries = [b for b in [*BATTERIES, "tabular"] if b in set(runs.battery)]
    for metric in ("nca", "ari"):
        for stat in ("mean", "median"):
            table = ok.pivot_table(index="algorithm", columns="battery", values=metric, aggfunc=stat)
            table = table.reindex(index=algorithms, columns=batteries)
            table["all"] = ok.groupby("algorithm")[metric].agg(stat).reindex(algorithms)
            table = table.sort_values("all", ascending=False).reset_index()
            parts.append(f"### {stat.capitalize()} {metric.upper()} per battery\n\n{markdown_table(table)}\n")
    time_table = runs.groupby("algorithm").agg(
        runs=("status", "size"), ok=("status", lambda s: int((s == "ok").sum())),
        refused=("status", lambda s: int((s == "refused").sum())),
        errors=("status", lambda s: int((s == "error").sum())),
        total_s=("seconds", "sum"), mean_s=("seconds", "mean"), max_s=("seconds", "max")).reindex(algorithms)
    time_table = time_table.sort_values("total_s", ascending=False).reset_index()
    parts.append("### Time and failures per algorithm\n\nSeconds are fit time only (summed over the "
                 "reference labellings' k), on one core per run.\n\n" + markdown_table(time_table, ".2f") + "\n")
    failures = runs[runs.status != "ok"][["battery", "dataset", "n", "algorithm", "status", "error"]]
    if not failures.empty:
        parts.append("### Failures\n\n" + markdown_table(failures) + "\n")
    return "\n".join(parts)


def published_comparison(runs: pd.DataFrame) -> str:
    suite = runs[runs.battery.isin(["wut", "fcps", "graves", "other", "uci"])]
    ok = suite[suite.status == "ok"]
    n_sets = suite.drop_duplicates(["battery", "dataset"]).shape[0]
    rows = []
    for algorithm, published in PUBLISHED_NCA.items():
        mine = ok[ok.algorithm == algorithm].nca
        rows.append({"algorithm": algorithm, "published mean NCA (73 datasets)": published,
                     f"clusterlab mean NCA ({n_sets} datasets)": mine.mean(),
                     "median": mine.median(), "difference": mine.mean() - published})
    return markdown_table(pd.DataFrame(rows))


def main() -> None:
    from clusterlab import __version__
    from clusterlab.algorithms import names
    from clusterlab.parallel import default_workers, run_tasks

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=default_data_dir())
    parser.add_argument("--backend", default="processes", help="serial, processes, or a Dask scheduler address")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--batteries", default=",".join(BATTERIES))
    parser.add_argument("--algorithms", default=",".join(names("matrix")))
    parser.add_argument("--no-tables", action="store_true", help="skip the labelled tables")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--fresh", action="store_true", help="ignore runs stored by an earlier, interrupted run")
    args = parser.parse_args()

    algorithms = [a for a in args.algorithms.split(",") if a]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    raw = out / "algorithms-runs.csv"
    tasks = list_tasks(args.data_dir, [b for b in args.batteries.split(",") if b], algorithms, not args.no_tables)
    done = set()
    if raw.exists() and not args.fresh:
        previous = pd.read_csv(raw)
        done = set(zip(previous.battery, previous.dataset, previous.algorithm))
    else:
        with raw.open("w", newline="") as handle:
            csv.DictWriter(handle, FIELDS).writeheader()
    todo = [t for t in tasks if (t[1], t[2], t[3]) not in done]
    print(f"{len(tasks)} runs, {len(tasks) - len(todo)} already stored, {len(todo)} to go "
          f"on {args.workers} workers ({args.backend})", file=sys.stderr)
    start = time.perf_counter()
    with raw.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, FIELDS)
        for result in run_tasks(run_one, todo, backend=args.backend, workers=args.workers, threads=1,
                                progress="algorithms x datasets"):
            if result.ok:
                writer.writerow(result.value)
            else:
                _, battery, name, algorithm = todo[result.index]
                writer.writerow({"battery": battery, "dataset": name, "algorithm": algorithm,
                                 "status": "error", "error": result.error, "seconds": 0.0})
            handle.flush()
    wall = time.perf_counter() - start

    runs = pd.read_csv(raw)
    runs = runs[runs.algorithm.isin(algorithms)]
    n_data = runs.drop_duplicates(["battery", "dataset"]).groupby("battery").size()
    report = [
        "# Algorithms on the benchmark batteries, at the true k",
        "",
        f"Machine: {machine_line()}. Date: {today()}. clusterlab {__version__} (commit {commit()}).",
        f"Command: `python benchmarks/algorithms.py {' '.join(sys.argv[1:])}` ({args.workers} workers, backend {args.backend}); "
        f"this invocation ran {len(todo)} of {len(tasks)} runs in {wall / 60:.1f} min wall time"
        + (" (the rest were stored by an earlier invocation and reused)" if len(todo) < len(tasks) else "") + ".",
        "",
        "Datasets: " + ", ".join(f"{b} {n}" for b, n in n_data.items()) + ". Clustbench data prepared as the "
        "framework prescribes (centred, scaled proportionally, tiny jitter); tables standardised, one-hot "
        "encoded, missing cells imputed. Algorithms that need k get the true k of each reference "
        "labelling and the best score over references counts; the others run on clusterlab's "
        "data-driven defaults. Noise points of the reference are left out of every score. NCA is "
        "Gagolewski's normalised clustering accuracy; means are over the runs that finished "
        "(failures are listed, not scored).",
        "",
        "## Against Gagolewski's published means",
        "",
        published_comparison(runs),
        "",
        "Why the figures differ. (1) The datasets: the published means cover the suite's 73 datasets "
        "with n <= 10,000, which include the sipu battery (Gaussian-blob sets such as the a-, s-, D31 and "
        "R15 sets, plus aggregation, compound, flame, jain, pathbased, spiral); sipu is not in this data "
        "directory, so the comparable set here is the 57 datasets of wut, fcps, graves, other and uci. "
        "Those five hold proportionally more non-convex shapes, noise and outliers (graves, wut's "
        "labirynth, olympic, windows), on which the centroid methods (k-means, Ward, GMM) and average "
        "linkage lose most, while Genie, built for such shapes, loses least; single linkage, which the "
        "blob sets punish, comes out slightly above its published mean. (2) The implementations: k-means "
        "here is scikit-learn's with the best of 10 k-means++ starts, GMM scikit-learn's with full "
        "covariances and 2 starts, the linkages scikit-learn's, Genie genieclust's with the Gini threshold "
        "0.3; the published runs used the framework's own set-ups, whose restarts and settings differ.",
        "",
        "## Per battery",
        "",
        summarise(runs, algorithms),
    ]
    (out / "algorithms.md").write_text("\n".join(report) + "\n")
    print(f"wrote {out / 'algorithms.md'} ({wall / 60:.1f} min)", file=sys.stderr)


if __name__ == "__main__":
    main()
