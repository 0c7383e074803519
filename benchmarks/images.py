"""`clusterlab auto` on image sets with no k and no config: what the main job chooses and reaches.

For MNIST-test, USPS (all 9,298 images), Fashion-MNIST (the 10,000 test images) and CIFAR-10
(the 10,000 test images): the job in a fresh process with an empty feature cache (so the
backbone's time is counted), `--budget 15`; the representation it chose, the k it found,
ACC / NMI / ARI against the truth (never read by the job), the wall time; beside the best mean
ACC of results/deep.md for the same set and k-means on the pixels (from the same runs).
Each set's row is appended to results/images-runs.csv as it finishes; a stopped run resumes.

Usage: python benchmarks/images.py [--only NAME,...] [--report-only]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, commit, default_data_dir, header, in_fresh_process, markdown_table, today  # noqa: E402

RUNS = RESULTS / "images-runs.csv"
SETS = {"mnist-test": "images/mnist-test", "usps": "images/usps", "fashion-mnist": "images/fashion-mnist:test",
        "cifar10": "images/cifar10:test"}
DEEP_PROTOCOL = {"mnist-test": "all", "usps": "all", "fashion-mnist": "all", "cifar10": "cifar-test"}
BUDGET = 15.0
GOALS = {"mnist-test": 0.95, "usps": 0.95, "fashion-mnist": 0.65, "cifar10": 0.60}


def child(name: str, data_dir: str) -> dict:
    """One set through the job, inside a fresh process with its own empty cache."""
    import os

    from clusterlab.job import auto, write_outputs

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CLUSTERLAB_CACHE"] = tmp
        start = time.perf_counter()
        result = auto(SETS[name], data_dir=data_dir, budget=BUDGET)
        write_outputs(result, Path(tmp) / "out")
        seconds = time.perf_counter() - start
    chosen = next(d for d in result.decisions if d.step == "representation")
    return {"dataset": name, "images": result.dataset.n, "representation": chosen.choice,
            "algorithm": result.algorithm, "k": result.k,
            "true k": result.dataset.n_clusters_true, "acc": result.external["acc"], "nmi": result.external["nmi"],
            "ari": result.external["ari"], "seconds": round(seconds, 1),
            "timings": ";".join(f"{k}={v:.0f}" for k, v in result.timings.items()),
            "modularity": ";".join(f"{n}={max(c.values()):.3f}@k={max(c, key=c.get)}" for n, c in chosen.scores.items()), "date": today(), "commit": commit()}


def protocol_line(deep: pd.DataFrame) -> str:
    """CIFAR-10 under the seed's protocol, from results/deep.md's runs of the session method."""
    runs = deep[(deep.dataset == "cifar10") & (deep.protocol == "cifar-test") & (deep.method == "backbone")]
    if runs.empty:
        return "CIFAR-10 under the seed's protocol (fitted on train, scored on test) has not been run."
    said = "; ".join(f"{v}: ACC {100 * g.acc.mean():.1f} / NMI {100 * g.nmi.mean():.1f} / ARI {100 * g.ari.mean():.1f} % "
                     f"({len(g)} seed{'s' if len(g) > 1 else ''})" for v, g in runs.groupby("variant"))
    return ("CIFAR-10 under the seed's protocol (fitted on the 50,000 training images, scored on the 10,000 test "
            "images) does not fit `auto`'s 15-minute budget on 2 cores: the 60,000 images' features alone take "
            "about 13 minutes. It was run through the session runner with k = 10 given (`configs/deep/backbone-head"
            f".yaml` and `backbone-kmeans.yaml`, results/deep.md): {said}.")


def report() -> str:
    runs = pd.read_csv(RUNS)
    deep = pd.read_csv(RESULTS / "deep-runs.csv")
    rows = []
    for _, r in runs.iterrows():
        same = deep[(deep.dataset == r.dataset) & (deep.protocol == DEEP_PROTOCOL[r.dataset])]
        means = same.groupby(["method", "variant"]).acc.mean()
        learnt = means.drop(index="kmeans_pixels", level=0, errors="ignore")
        pixels = means.loc["kmeans_pixels"].max() if "kmeans_pixels" in means.index.get_level_values(0) else float("nan")
        best = learnt.idxmax() if len(learnt) else ("", "")
        rows.append({"dataset": r.dataset, "images": r.images, "representation": r.representation,
                     "clusterer": r.algorithm, "k found": r.k,
                     "true k": r["true k"], "ACC %": 100 * r.acc, "NMI %": 100 * r.nmi, "ARI %": 100 * r.ari,
                     "minutes": r.seconds / 60, "goal ACC %": 100 * GOALS[r.dataset],
                     "best of deep.md ACC %": 100 * learnt.max() if len(learnt) else float("nan"),
                     "that method": " ".join(b for b in best if b and b != "default"),
                     "k-means on pixels ACC %": 100 * pixels})
    table = pd.DataFrame(rows)
    lines = header("Images through the front door: `clusterlab auto` with no k and no config", "images.py")
    lines += [f"Each set through `clusterlab.job.auto` in a fresh process with an empty feature cache and a budget of "
              f"{BUDGET:.0f} minutes; nothing but the images is given (no k, no config); the truth is read only to "
              "score. The job measures each representation (pixels; EfficientNet-Lite0 features) by the modularity of "
              "k-means partitions (k = 2..15, `auto`'s range for images) on the images' 20-nearest-neighbour graph, "
              "takes the representation that leads at the most k, and k where its curve peaks; when the pixels win it trains N2D's reconstruction autoencoder on them and reads "
              "the images through its codes; then k-means, UMAP + Gaussian mixture and the SCAN-style head each "
              "partition that representation at that k, and the partition of highest modularity on its neighbour "
              "graph is kept (rules chosen on the training splits of USPS, Fashion-MNIST and CIFAR-10, see "
              "job/images.py and benchmarks/images_design.py). `best of deep.md` is the best mean ACC of a deep method in results/deep.md "
              "on the same images (k given there, configs chosen by hand); k-means on pixels from the same file.",
              "", markdown_table(table, ".1f"), "",
              "Goals (ACC within 15 minutes, k within +-1 of 10, k found by the job): " + "; ".join(
                  f"{r.dataset}: ACC {100 * r.acc:.1f} % {'meets' if r.acc >= GOALS[r.dataset] else 'misses'} "
                  f"{100 * GOALS[r.dataset]:.0f} %, k = {r.k} {'within' if abs(r.k - r['true k']) <= 1 else 'outside'}"
                  f" +-1, {r.seconds / 60:.1f} min" for _, r in runs.iterrows()) + ".", "",
              "Steps in seconds per set (the job's own timings): " + "; ".join(
                  f"{r.dataset}: {r.timings}" for _, r in runs.iterrows()) + ".",
              "", "Highest modularity of each representation and its k: " + "; ".join(
                  f"{r.dataset}: {r.modularity}" for _, r in runs.iterrows()) + ".", "",
              protocol_line(deep), "",
              "Earlier reports, each kept: the first (the head alone, the representation of the highest peak over "
              "k = 2..10; commit 8d5a3c0, results/images-runs-head-only.csv) read ACC 82.3 / 63.4 / 74.9 / 51.9 % on "
              "MNIST-test / USPS / Fashion-MNIST / CIFAR-10, k = 10 on all four, each at the top of that range. The "
              "second (autoencoder and clusterer choice as now, the highest peak over k = 2..15; commit 4fb0460, "
              "results/images-runs-peak-rule.csv) read 71.8 % (features, k = 15) / 96.1 % (autoencoder, k = 10) / "
              "54.4 % (autoencoder, k = 15) / 51.9 % (features, k = 10): on MNIST-test and Fashion-MNIST a curve "
              "still rising at k = 15 won by the range alone. The rule that counts leads replaced it after that "
              "report, checked on the training splits only but chosen knowing those two failures (job/images.py). "
              "The third (the leads rule with EfficientNet-Lite1 features; commit 3c223f3, "
              "results/images-runs-lite1.csv) read 73.0 % (features, k = 13) / 96.1 % (autoencoder, k = 10) / 69.3 % "
              "(features, k = 11) / 45.5 % (features, k = 7). Lite1 had been chosen on its features' neighbour label "
              "agreement alone; the job's rule on the training splits' curves with Lite1 (measured after that "
              "report, results/images-design-rules.csv) picks the features on USPS and k = 7 on CIFAR-10, where "
              "with Lite0 it picks the pixels and k = 9, so auto went back to Lite0 (deep/backbones.py). This "
              "report is the fourth.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=default_data_dir())
    parser.add_argument("--only", default="")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    if not args.report_only:
        done = set(pd.read_csv(RUNS).dataset) if RUNS.exists() else set()
        todo = [n for n in SETS if n not in done and (not args.only or n in args.only.split(","))]
        for name in todo:
            print(f"{name} ...", flush=True)
            row = in_fresh_process("images", f"child({name!r}, {args.data_dir!r})", timeout=3600)
            pd.DataFrame([row]).to_csv(RUNS, mode="a", header=not RUNS.exists(), index=False)
            print(f"  {row['representation']}, k={row['k']}, ACC {row['acc']:.3f} in {row['seconds'] / 60:.1f} min",
                  flush=True)
    (RESULTS / "images.md").write_text(report())
    print(f"wrote {RESULTS / 'images.md'}")


if __name__ == "__main__":
    main()
