"""Every k estimator, and their consensus, on every benchmark dataset.

True k is the number of clusters of each dataset's first reference labelling (noise apart).
Each estimator sees the data as clusterlab.auto would (clustbench data as the framework
prepares it; tables standardised and one-hot encoded) and searches k = 2..40, the protocol
of the floor in the issue (k-means + best silhouette over 2..40: exact on 25 % of the 57
wut/fcps/graves/other/uci datasets).

The consensus weighs each estimator by its precision (the share of its votes that are exact),
and in each dimension regime (clusterlab.autok.REGIMES) lets a leader overrule the vote: the
estimator that, deciding alone where it votes, beat the vote on at least LEADER_MARGIN more
datasets of that regime than it lost. `--write-weights` ships the precisions and leaders
measured on all the real datasets here in src/clusterlab/autok/reliability.json; the report's
honest figure for them is the leave-one-battery-out consensus, where a dataset's consensus uses
precisions and leaders chosen on the other batteries only. With `--synthetic N` the estimators
also run on N generated datasets (clusterlab.data.synthetic), and a further consensus row uses
precisions and leaders measured there alone, to show how far they carry from generated data to
real data.

Per-dataset results go to results/autok-runs.csv as they finish (resumable; --fresh starts
over). Writes results/autok.md.

    python benchmarks/autok.py [--data-dir DIR] [--max-k 40] [--synthetic 400] [--write-weights]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (RESULTS, ROOT, benchmark_matrix, commit, default_data_dir,  # noqa: E402
                     machine_line, markdown_table, today)

BATTERIES = ("wut", "fcps", "graves", "other", "uci", "g2mg")
CORE = ("wut", "fcps", "graves", "other", "uci")  # the 57 datasets of the floor
WEIGHTS_FILE = ROOT / "src" / "clusterlab" / "autok" / "reliability.json"
LEADER_MARGIN = 2  # wins minus losses against the vote, on the datasets of a regime


def run_one(task: tuple) -> list[dict]:
    """The estimators named in the task on one dataset (they share one k-means sweep)."""
    warnings.simplefilter("ignore")
    from clusterlab.autok import ESTIMATORS, make_context

    data_dir, battery, name, min_k, max_k, sample_size, methods = task
    if battery == "synthetic":  # name holds the spec as JSON
        from clusterlab.data.synthetic import SyntheticSpec, generate

        dataset = generate(SyntheticSpec(**json.loads(name)))
        x, name = dataset.features, dataset.name
    else:
        dataset, x = benchmark_matrix(data_dir, battery, name)
    ctx = make_context(x, min_k, max_k, sample_size, seed=0)
    rows = []
    for method in methods:
        try:
            e = ESTIMATORS[method]().estimate(ctx)
            k, seconds, note = e.k, e.seconds, e.note
        except Exception as exc:  # recorded, not fatal
            k, seconds, note = None, 0.0, f"{type(exc).__name__}: {exc}"[:200]
        rows.append({"battery": battery, "dataset": name, "n": x.shape[0], "d": x.shape[1],
                     "k_true": dataset.n_clusters_true, "method": method, "k": k, "seconds": round(seconds, 4),
                     "note": note})
    return rows


def exact_rates(runs: pd.DataFrame) -> dict[str, float]:
    """Each estimator's precision when it votes: the share of its decisions that are exact.
    That, not its hit rate over all datasets, is how much one of its votes should count; an
    estimator that abstains where it cannot tell is not penalised for abstaining.

    Each battery counts once (the mean of its per-battery precisions): g2mg's 72 variants of
    one Gaussian generator, where nearly every estimator is right, would otherwise outweigh
    the 57 shape and real datasets and leave every estimator with much the same weight."""
    voted = runs.dropna(subset=["k"])
    per_battery = voted.assign(hit=voted.k == voted.k_true).groupby(["battery", "method"]).hit.mean()
    return per_battery.groupby("method").mean().to_dict()


def _estimates(group: pd.DataFrame) -> list:
    from clusterlab.autok import KEstimate

    return [KEstimate(r.method, None if pd.isna(r.k) else int(r.k), {}, 0.0) for r in group.itertuples()]


def leaders_from(runs: pd.DataFrame, weights: dict[str, float], margin: int = LEADER_MARGIN, regime_of=None):
    """clusterlab.autok.choose_leaders on the stored runs."""
    from clusterlab.autok import choose_leaders, regime

    datasets = [(int(g.d.iloc[0]), g.k_true.iloc[0], _estimates(g)) for _, g in runs.groupby(["battery", "dataset"])]
    return choose_leaders(datasets, weights, margin, regime_of or regime)


def fit_consensus(pool: pd.DataFrame, n_candidates: int, with_leaders: bool = True, margin: int = LEADER_MARGIN,
                  regime_of=None) -> tuple[dict[str, float], dict[int, dict]]:
    """The vote weights and the leaders measured on the runs in `pool`."""
    from clusterlab.autok import vote_weight

    weights = {m: vote_weight(r, n_candidates) for m, r in exact_rates(pool).items()}
    return weights, leaders_from(pool, weights, margin, regime_of) if with_leaders else {}


def consensus_k(group: pd.DataFrame, weights: dict[str, float], leaders: dict[int, dict], regime_of=None):
    """The consensus of one dataset's stored estimates, as clusterlab.autok.estimate_k decides."""
    from clusterlab.autok import decide, regime

    estimates = _estimates(group)
    if not any(e.k is not None for e in estimates):
        return None
    leader = leaders.get((regime_of or regime)(int(group.d.iloc[0])), {}).get("method")
    return decide(estimates, weights, leader)[0]


def consensus_column(runs: pd.DataFrame, n_candidates: int, scheme: str) -> pd.DataFrame:
    """The consensus k per real dataset under a scheme: equal (a plain vote), lobo (precisions and
    leaders chosen on the other batteries), lobo vote only (the same without leaders), in-sample,
    or synthetic (precisions and leaders chosen on the synthetic datasets only); with scheme
    "benchmark weights", the consensus per generated dataset under the precisions and leaders
    chosen on the real batteries (the shipped ones, which never saw a generated dataset)."""
    out = []
    real = runs[runs.battery != "synthetic"]
    by_battery, fixed = {}, None
    if scheme.startswith("lobo"):
        by_battery = {b: fit_consensus(real[real.battery != b], n_candidates, scheme == "lobo") for b in real.battery.unique()}
    elif scheme == "equal":
        fixed = (dict.fromkeys(runs.method.unique(), 1.0), {})
    else:
        pool = runs[runs.battery == "synthetic"] if scheme == "synthetic" else real
        fixed = fit_consensus(pool, n_candidates, "vote only" not in scheme)
    targets = runs[runs.battery == "synthetic"] if scheme.startswith("benchmark weights") else real
    for (battery, name), group in targets.groupby(["battery", "dataset"], sort=False):
        weights, leaders = by_battery[battery] if by_battery else fixed
        first = group.iloc[0]
        out.append({"battery": battery, "dataset": name, "n": first.n, "d": first.d, "k_true": first.k_true,
                    "method": f"consensus ({scheme})", "k": consensus_k(group, weights, leaders),
                    "seconds": group.seconds.sum(), "note": ""})
    return pd.DataFrame(out)


def leader_sensitivity(runs: pd.DataFrame, n_candidates: int) -> pd.DataFrame:
    """Leave-one-battery-out exact share on the 57 core datasets of the consensus under other
    choices of the margin and of the dimension that splits the regimes."""
    real = runs[runs.battery != "synthetic"]
    rows = []
    for top in (2, 3, 5):
        def regime_of(d, top=top):
            return 0 if d <= top else 1
        for margin in (1, 2, 3):
            hits, chosen = [], set()
            for b in CORE:
                weights, leaders = fit_consensus(real[real.battery != b], n_candidates, True, margin, regime_of)
                chosen |= {f"{'low' if r == 0 else 'high'}: {v['method']}" for r, v in leaders.items()}
                for _, group in real[real.battery == b].groupby("dataset"):
                    hits.append(consensus_k(group, weights, leaders, regime_of) == group.k_true.iloc[0])
            rows.append({"regimes": f"d <= {top} / d > {top}", "margin": margin, "exact (lobo, 57)": np.mean(hits),
                         "leaders chosen in the folds": ", ".join(sorted(chosen)) or "none"})
    return pd.DataFrame(rows)


def score_table(runs: pd.DataFrame) -> pd.DataFrame:
    def stats(g):
        err = (g.k - g.k_true).abs()
        voted = g.k.notna()
        return pd.Series({"datasets": str(len(g)), "exact": (err == 0).mean(), "within 1": (err <= 1).mean(),
                          "votes": voted.mean(), "exact when voting": (err[voted] == 0).mean(),
                          "median abs error": err.median(), "mean signed error": (g.k - g.k_true).mean(),
                          "mean s": g.seconds.mean()})
    table = runs.groupby("method").apply(stats, include_groups=False).reset_index()
    return table.sort_values("exact", ascending=False)


def failure_modes(runs: pd.DataFrame, max_k: int) -> pd.DataFrame:
    """How each estimator misses: too few, too many, stuck at 2, run to the top of the range."""
    def modes(g):
        k, t = g.k, g.k_true
        return pd.Series({"exact": (k == t).mean(), "too few": (k < t).mean(), "too many": (k > t).mean(),
                          "says 2, truth > 2": ((k == 2) & (t > 2)).mean(),
                          f"at top of range (>= {max_k - 1})": (k >= max_k - 1).mean(), "no decision": k.isna().mean()})
    return runs.groupby("method").apply(modes, include_groups=False).reset_index().sort_values("exact", ascending=False)


WHY = """\
Why they fail, from the table above and the per-dataset runs (`results/autok-runs.csv`):

- **silhouette, calinski_harabasz, davies_bouldin** score k-means partitions, and k-means can only
  carve convex pieces of similar size. On rings, chains, zigzags and noisy shapes the index prefers
  many small convex pieces: Calinski-Harabasz and Davies-Bouldin run to the top of the k range on
  most shape datasets (Calinski-Harabasz grows with k whenever clusters are not Gaussian blobs).
- **elbow**: the knee of the inertia curve is a property of the curve's range as much as of the data;
  over k = 2..40 it lands at 3-7 whatever the data holds.
- **gap** stops at the first k that passes the one-standard-error rule, so clusters that are close or
  of unequal size make it stop early (too few).
- **eigengap** needs clusters that are nearly disconnected in the kNN graph. Noise bridges
  (chameleon, olympic), touching clusters and real tables whose classes overlap (wine, yeast,
  statlog) leave one dominant gap after k = 2.
- **dpmeans** assumes spherical clusters of one radius; the k that persists over the widest range of
  lambda is usually the coarse end of the curve.
- **xmeans** compares spherical Gaussian BICs with one shared variance: non-Gaussian shapes and
  unequal spreads always fit better with more centres, so even the best global BIC it visits lies
  well above the true k on most shape datasets.
- **gmeans** splits every cluster that is not Gaussian along its split axis; uniform shapes, rings and
  stripes never are, so it overshoots.
- **prediction_strength** rests on k-means as well: on non-convex shapes the partitions of two halves
  disagree already at small k, and it falls back to 2.
- **genie_stability** follows shapes and ignores outliers, and when it finds a stable k it is mostly
  right; but where Genie's partitions move with the subsample at every k (noise between clusters,
  crossing lines as in wut/cross, touching blobs) nothing is stable and it falls back to the
  smallest k, which is where nearly all of its misses come from.
- **hdbscan** counts density clusters, so it follows shapes and leaves noise out, and it abstains
  (23 % of the 57, half of the tables) rather than guess. It fails where clusters touch or are
  linked by noise (cross, olympic, the chameleon sets: at every minimum size HDBSCAN sees one
  cluster or a changing count), where one true cluster holds denser cores (labirynth, x3,
  zigzag_outliers: too many), and on real tables, whose classes overlap in density (ecoli,
  statlog, iris: 2).
- **the vote** suffers from correlated errors: on the hard datasets most estimators fall to
  k = 2 (or run to the top) together, and such agreements outvote the one estimator that is right.
  The leader rule answers that where the benchmark shows one estimator to be that one: in data of at
  most 3 dimensions HDBSCAN, deciding alone when it votes, beats the vote (it abstains where it is
  weakest, and the vote takes those). In more dimensions no estimator beats the vote by the margin:
  there HDBSCAN is right on 2 of the 17 uci and labelled tables it votes on (density in many
  dimensions does not count classes), though on all 16 g2mg Gaussian sets it votes on. On the
  generated datasets (mostly Gaussian clusters, some touching, with noise points) the low-dimensional
  leader is no help: there HDBSCAN is the weaker counter, and the leader costs about a point.
"""


def per_battery(runs: pd.DataFrame) -> pd.DataFrame:
    table = runs.assign(hit=runs.k == runs.k_true).pivot_table(index="method", columns="battery", values="hit",
                                                                aggfunc="mean")
    cols = [b for b in [*BATTERIES, "tabular"] if b in table.columns]
    return table[cols].reset_index()


def speed_check(seed: int = 0) -> dict:
    """estimate_k on 100,000 x 10 (default sample of 2,048 rows, k = 2..10), timed end to end."""
    from sklearn.datasets import make_blobs

    from clusterlab.autok import estimate_k

    x, _ = make_blobs(100_000, n_features=10, centers=6, cluster_std=1.0, center_box=(-15, 15), random_state=seed)
    start = time.perf_counter()
    result = estimate_k(x, seed=seed)
    return {"seconds": time.perf_counter() - start, "k": result.k, "true": 6}


def main() -> None:
    from clusterlab import __version__
    from clusterlab.autok import ESTIMATORS
    from clusterlab.data.batteries import dataset_names
    from clusterlab.data.synthetic import sample_spec
    from clusterlab.parallel import default_workers, run_tasks

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=default_data_dir())
    parser.add_argument("--backend", default="processes")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--min-k", type=int, default=2)
    parser.add_argument("--max-k", type=int, default=40)
    parser.add_argument("--sample-size", type=int, default=2048)
    parser.add_argument("--batteries", default=",".join(BATTERIES))
    parser.add_argument("--no-tables", action="store_true")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--synthetic", type=int, default=0,
                        help="also run on this many generated datasets; their precisions become the weights")
    parser.add_argument("--write-weights", action="store_true", help="store the precisions as the shipped weights")
    args = parser.parse_args()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    raw = out / "autok-runs.csv"
    root = Path(args.data_dir)
    datasets = [(b, n) for b in args.batteries.split(",") if b for n in dataset_names(root / "clustbench", b)]
    if not args.no_tables:
        datasets += [("tabular", p.stem) for p in sorted((root / "tabular").glob("*.csv"))]
    # Resumable per (dataset, estimator): a dataset reruns only the estimators it lacks, so
    # adding an estimator costs its own runs, not the whole table.
    stored: dict[tuple[str, str], set[str]] = {}
    if raw.exists() and not args.fresh:
        previous = pd.read_csv(raw)
        for (b, n), group in previous.groupby(["battery", "dataset"]):
            stored[b, n] = set(group.method)
    elif raw.exists():
        raw.unlink()

    def missing(b: str, n: str) -> list[str]:
        return [m for m in ESTIMATORS if m not in stored.get((b, n), set())]

    tasks = [(args.data_dir, b, n, args.min_k, args.max_k, args.sample_size, missing(b, n))
             for b, n in datasets if missing(b, n)]
    rng = np.random.default_rng(2026)  # one fixed stream of specs: the same N gives the same datasets
    for i in range(args.synthetic):
        spec = sample_spec(rng, seed=i)
        datasets.append(("synthetic", spec.name))
        todo = missing("synthetic", spec.name)
        if todo:
            tasks.append((args.data_dir, "synthetic", json.dumps(spec.to_dict()), args.min_k, args.max_k,
                          args.sample_size, todo))
    print(f"{len(datasets)} datasets, {len(stored)} stored, {len(tasks)} with estimators to run", file=sys.stderr)
    start = time.perf_counter()
    for result in run_tasks(run_one, tasks, backend=args.backend, workers=args.workers, progress="k estimators"):
        if result.ok:
            frame = pd.DataFrame(result.value)
            frame.to_csv(raw, mode="a", header=not raw.exists(), index=False)
        else:
            print(f"failed: {tasks[result.index][1:3]}: {result.error}", file=sys.stderr)
    wall = time.perf_counter() - start

    runs = pd.read_csv(raw)
    synthetic_runs = runs[runs.battery == "synthetic"]
    n_synthetic = synthetic_runs.dataset.nunique()
    n_candidates = args.max_k - args.min_k + 1
    names = ("lobo", "lobo vote only", "equal", "in-sample") + (("synthetic",) if n_synthetic else ())
    schemes = [consensus_column(runs, n_candidates, s) for s in names]
    full = pd.concat([runs[runs.battery != "synthetic"], *schemes], ignore_index=True)
    core = full[full.battery.isin(CORE)]
    if args.write_weights:
        real = runs[runs.battery != "synthetic"]
        rates = exact_rates(real)
        leaders = fit_consensus(real, n_candidates)[1]
        WEIGHTS_FILE.write_text(json.dumps({
            "source": f"benchmarks/autok.py, k = {args.min_k}..{args.max_k}, precision on "
                      f"{real.drop_duplicates(['battery', 'dataset']).shape[0]} benchmark datasets "
                      f"(clustbench + tabular; each battery counts once), leaders by margin {LEADER_MARGIN}, {today()}",
            "exact_rate": {m: round(r, 4) for m, r in sorted(rates.items())},
            "leaders": {str(r): v for r, v in sorted(leaders.items())}}, indent=2) + "\n")
    speed = speed_check()
    n_core = core.drop_duplicates(["battery", "dataset"]).shape[0]
    lines = [
        "# How many clusters: estimators and their consensus",
        "",
        f"Machine: {machine_line()}. Date: {today()}. clusterlab {__version__} (commit {commit()}).",
        f"Command: `python benchmarks/autok.py {' '.join(sys.argv[1:])}` (k = {args.min_k}..{args.max_k}, sample of at most "
        f"{args.sample_size} rows, seed 0); this invocation ran {sum(len(t[-1]) for t in tasks)} "
        f"estimator runs on {len(tasks)} datasets in {wall / 60:.1f} min on {args.workers} workers"
        + (" (the rest were stored by an earlier invocation)" if stored else "") + ".",
        "",
        "True k: the number of clusters in each dataset's first reference labelling. An estimator may "
        "abstain (no k it can stand behind); `exact` counts an abstention as a miss, `exact when voting` "
        "is its precision. The consensus is a vote in which each estimator weighs log(p (K-1) / (1-p)), "
        "p its precision (the mean of its per-battery precisions, so that each battery counts once), "
        "overruled in each dimension regime (d <= 3, d > 3) by that regime's leader when the leader votes: "
        f"the estimator that, deciding alone where it votes, beat the vote on at least {LEADER_MARGIN} more "
        "datasets of the regime than it lost (none qualifies: no leader). The consensus rows differ in "
        "where p and the leaders are measured: `lobo` on the *other* batteries (honest: the dataset's own "
        "battery is unseen), `lobo vote only` the same without leaders, `equal` is a plain vote without "
        "leaders, `in-sample` on all the real datasets (optimistic; these are the precisions and leaders the "
        "package ships, and `lobo` is the honest estimate of how they do on unseen data)"
        + (f", `synthetic` on {n_synthetic} generated datasets only (clusterlab.data.synthetic: "
           "Gaussian clusters of varied separation, shape, size and density, moons, rings, spirals, a ring "
           "around blobs, noise points, uninformative dimensions; k = 2..10)" if n_synthetic else "")
        + f". Estimation time summed over datasets and estimators: {runs.seconds.sum() / 60:.1f} core-minutes.",
        "",
        f"## The {n_core} datasets of wut, fcps, graves, other and uci",
        "",
        "Floor from the issue (k-means, best silhouette over 2..40): exact on 25 %; Calinski-Harabasz 18 %, "
        "Davies-Bouldin 16 %. Goal: consensus exact on at least 45 %.",
        "",
        markdown_table(score_table(core)),
        "",
        "### How each one misses (same 57 datasets)",
        "",
        markdown_table(failure_modes(core, args.max_k)),
        "",
        WHY,
        "### How much the leader rule rests on its two settings",
        "",
        "Exact share on the 57, leave-one-battery-out as `consensus (lobo)` above, with the dimension that "
        "splits the regimes and the margin a leader must reach changed (the package ships d <= 3 and margin "
        f"{LEADER_MARGIN}). The shipped settings were chosen with this table in view, after earlier attempts "
        "on the same datasets (cascades, learned selectors: 42-51 %), so the shipped row's lobo figure "
        "carries that choice: the spread of this table is the honest range.",
        "",
        markdown_table(leader_sensitivity(runs, n_candidates)),
        "",
        *([f"## The {n_synthetic} generated datasets", "",
           "`consensus (benchmark weights)` uses the shipped precisions and leaders, measured on the real "
           "batteries only, so these datasets are unseen by it; `vote only` is the same without leaders.", "",
           markdown_table(score_table(pd.concat([synthetic_runs, *(consensus_column(runs, n_candidates, s) for s in (
               "benchmark weights", "benchmark weights vote only"))], ignore_index=True))), ""]
          if n_synthetic else []),
        "## All datasets (the six batteries and the labelled tables)",
        "",
        markdown_table(score_table(full)),
        "",
        "## Exact-k share per battery",
        "",
        markdown_table(per_battery(full)),
        "",
        "## Speed",
        "",
        f"`estimate_k` with every estimator on 100,000 x 10 (6 Gaussian blobs; default sample of 2,048 rows, "
        f"k = 2..10): {speed['seconds']:.2f} s, consensus k = {speed['k']} (true {speed['true']}). Goal: under 10 s.",
    ]
    (out / "autok.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'autok.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
