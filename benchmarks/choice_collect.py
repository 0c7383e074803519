"""The judge's training data from the real labelled datasets: every candidate partition of every
dataset (`clusterlab.choice.generate`, k = 2..10 and the k-free grids, on at most 2,000 rows),
its label-free features (`clusterlab.choice.candidate_features`, with the auto-k consensus's
votes and the shipped recommender's expected ARI as context), and, for evaluation only, its ARI
and NCA against the truth of the same rows (best over the reference labellings).

Datasets: the six clustbench batteries (as the framework prepares them) and the 26 tables of
DATA/tabular (label set aside; standardised, one-hot, imputed: auto's own encoding of a table).
With `--synthetic N`, also N synthetic datasets (battery `synthetic`) from the generator the
recommender's meta-dataset uses, drawn from a stream of its own (seeds from SYNTHETIC_SEED on,
none of them among the recommender's training specs), so the judge can learn from shapes and
sizes the real batteries lack; they are only ever training data, never scored.

One row per candidate goes to runs/choice-candidates.csv (3 MB, not kept in the repository: the
tables in results/ are what is committed), appended as each dataset finishes, so a stopped run
resumes where it stopped.

Usage: python benchmarks/choice_collect.py [--data-dir DIR] [--only battery/name,...] [--synthetic N]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, benchmark_matrix, default_data_dir  # noqa: E402

OUT = ROOT / "runs" / "choice-candidates.csv"
BATTERIES = ("wut", "fcps", "graves", "other", "uci", "g2mg")
KS = range(2, 11)
SYNTHETIC = "synthetic"  # the battery name of the synthetic datasets, training data only
SYNTHETIC_SEED = 1_000_000  # the recommender's meta-dataset uses seeds 0..~10,000


def datasets(data_dir: str, synthetic: int = 0) -> list[tuple[str, str]]:
    from clusterlab.data.batteries import dataset_names

    root = Path(data_dir)
    # The tables first: they are few and fast, and g2mg's 72 datasets of up to 128 dimensions are slow.
    out = [("tabular", p.stem) for p in sorted((root / "tabular").glob("*.csv"))]
    out += [(b, n) for b in BATTERIES for n in dataset_names(root / "clustbench", b)]
    return out + [(SYNTHETIC, str(SYNTHETIC_SEED + i)) for i in range(synthetic)]


def synthetic_matrix(name: str):
    """The synthetic dataset of seed `name`, from the meta-dataset's generator."""
    from clusterlab.data.synthetic import generate, sample_spec

    seed = int(name)
    dataset = generate(sample_spec(np.random.default_rng(seed), seed=seed))
    return dataset, dataset.features


def collect_one(data_dir: str, battery: str, name: str, seed: int = 0) -> pd.DataFrame:
    from clusterlab.autok import estimate_k
    from clusterlab.choice import candidate_features, generate
    from clusterlab.metrics import external_scores
    from clusterlab.recommend.recommender import Recommender

    start = time.perf_counter()
    dataset, x = synthetic_matrix(name) if battery == SYNTHETIC else benchmark_matrix(data_dir, battery, name)
    x = np.asarray(x, dtype=np.float64)
    consensus = estimate_k(x, min_k=2, max_k=max(KS), seed=seed)
    rec = Recommender.load().predict(x, seed=seed)
    cset = generate(x, KS, seed=seed)
    feats = candidate_features(x, cset, consensus.votes, consensus.k, dict(rec.ranking), seed=seed)
    refs = [r[cset.rows] for r in dataset.references]
    rows = []
    for c, f in zip(cset.candidates, feats):
        scores = external_scores(refs, c.labels)
        rows.append({"battery": battery, "dataset": name, "n": x.shape[0], "d": x.shape[1],
                     "true_k": dataset.n_clusters_true, "consensus_k": consensus.k, "recommender_top": rec.algorithm,
                     "algorithm": c.algorithm, "asked_k": c.k, "params": str(c.params), **f,
                     "ari": scores["ari"], "nca": scores["nca"], "fit_seconds": c.seconds})
    frame = pd.DataFrame(rows)
    frame["dataset_seconds"] = time.perf_counter() - start
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=default_data_dir())
    parser.add_argument("--only", default="")
    parser.add_argument("--synthetic", type=int, default=0, help="also this many synthetic datasets")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    done = set()
    if OUT.exists():
        old = pd.read_csv(OUT, usecols=["battery", "dataset"], dtype={"dataset": str})  # synthetic names are seeds
        done = set(zip(old.battery, old.dataset))
    todo = [t for t in datasets(args.data_dir, args.synthetic) if t not in done]
    if args.only:
        wanted = {tuple(s.split("/", 1)) for s in args.only.split(",")}
        todo = [t for t in todo if t in wanted]
    for i, (battery, name) in enumerate(todo, 1):
        try:
            frame = collect_one(args.data_dir, battery, name)
        except Exception as exc:  # a dataset that cannot be run is reported, the others go on
            print(f"[{i}/{len(todo)}] {battery}/{name}: FAILED {type(exc).__name__}: {exc}", flush=True)
            continue
        OUT.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(OUT, mode="a", header=not OUT.exists(), index=False)
        print(f"[{i}/{len(todo)}] {battery}/{name}: {len(frame)} candidates, best ARI {frame.ari.max():.3f}, "
              f"{frame.dataset_seconds.iloc[0]:.1f} s", flush=True)


if __name__ == "__main__":
    main()
