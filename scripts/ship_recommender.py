"""Ship a trained recommender with the package: copy a run folder's weights and state into
src/clusterlab/recommend/shipped/ and write its model card from what the run recorded.

    python scripts/ship_recommender.py RUN_FOLDER --labels runs/metadataset.csv
"""

from __future__ import annotations

import argparse
import json
import shutil
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "src" / "clusterlab" / "recommend" / "shipped"


def card(state: dict, labels: Path, n_datasets: int, size_kb: float) -> str:
    from clusterlab.recommend.nets import build_model, parameter_count

    d, last, cfg = state["model"], state["history"][-1], state["config"]
    chosen = f"epoch {last['epoch']} of {state['epoch']}, chosen on a validation split of the training part"
    params = parameter_count(build_model(d["name"], len(d["algorithms"]), n_features=d["p"], n_meta=d["n_meta"],
                                         max_k=d["max_k"]))
    return "\n".join([
        f"# Model card: clusterlab recommender `{d['name']}`",
        "",
        f"Shipped {date.today().isoformat()}; {params:,} parameters, {size_kb:.0f} KB of safetensors weights.",
        "",
        "## What it does",
        "",
        f"Given a numeric matrix of any size, it predicts the ARI each of {len(d['algorithms'])} registered "
        "algorithms will reach on it (" + ", ".join(d["algorithms"]) + "), a number of clusters "
        f"(2..{d['max_k']}), and an 80 % interval for the top pick's ARI. Its input is built so that the "
        "output does not depend on the order of rows or columns: columns z-scored and rotated onto their "
        f"principal axes (signs fixed by skewness), at most {d['m']} rows kept by content hash, the first "
        f"{d['p']} axes read by a shared row network and attention pooling, plus 30 order-free "
        "meta-features (distance distribution, Hopkins statistic, axis shapes).",
        "",
        "## Training data",
        "",
        f"{n_datasets:,} synthetic datasets of the meta-dataset (`{labels.name}`; specs in "
        "`models/metadataset/labels.csv.gz`), each labelled with every algorithm's ARI: Gaussian clusters "
        "(separation 0.5-4, spherical or random covariances, unequal sizes and spreads, d up to 50, some with "
        "few informative features) and non-convex shapes (moons, rings, spirals, blobs in a ring), 30 % with "
        "uniform noise points; n up to 2,000, k 2-10. Algorithms that take k ran at the true k. "
        f"Held out by seed: {cfg['test_share']:.0%} of the datasets.",
        "",
        f"Training: {state['epoch']} epochs ({chosen}), AdamW lr {cfg['lr']}, weight decay {cfg['weight_decay']}, batch "
        f"{cfg['batch_size']}; loss = MSE on ARI + {cfg['k_weight']} x cross-entropy on k"
        + (f" + {cfg['rank_weight']} x listwise cross-entropy (temperature {cfg['rank_temperature']})"
           if cfg.get("rank_weight") else "") + ".",
        "",
        "## Held-out synthetic test metrics (the shipped epoch)",
        "",
        f"- mean ARI of the top pick: {last['chosen_ari']:.3f} (oracle {last['oracle_ari']:.3f}, best single "
        f"algorithm `{last['best_single']}` {last['best_single_ari']:.3f})",
        f"- k exact: {last['k_accuracy']:.1%}; within one: {last.get('k_within_1', float('nan')):.1%}",
        f"- RMSE of predicted ARI: {last['ari_rmse']:.3f}",
        f"- 80 % interval for the top pick: predicted ARI {last['interval_low']:+.3f} / "
        f"{last['interval_high']:+.3f}; holds on {last['interval_coverage']:.1%} of the other half of the "
        "test split",
        "",
        "Comparisons with the baselines, real data and timings: `results/recommend.md`.",
        "",
        "## Limits",
        "",
        "- Trained on synthetic data only; real tables whose classes are not clusters (most UCI tables) "
        "get predictions that are far less reliable than the held-out figures suggest.",
        "- ARI was measured at the true k; the ranking says which algorithm fits the shape of the data, "
        "not how well k will be guessed. clusterlab auto takes k from the auto-k consensus.",
        "- Its k head is weak (see above); prefer `clusterlab autok` for k.",
        f"- Inputs beyond {d['m']} rows are read through {d['m']} rows chosen by content hash, and it was trained on "
        "n up to 2,000; categorical columns should be "
        "encoded first (clusterlab does this).",
        "",
    ])


def main() -> None:
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--labels", type=Path, default=ROOT / "runs" / "metadataset.csv")
    args = parser.parse_args()
    state = json.loads((args.run / "state.json").read_text())
    SHIPPED.mkdir(parents=True, exist_ok=True)
    best = "best" in state and (args.run / "best.safetensors").exists()
    shutil.copyfile(args.run / ("best.safetensors" if best else "weights.safetensors"), SHIPPED / "weights.safetensors")
    record = state["best"] if best else state["history"][-1]
    state = {**state, "history": [record]}  # the card needs the shipped epoch's record only
    state.pop("best", None)
    (SHIPPED / "state.json").write_text(json.dumps(state, indent=2))
    n = len(pd.read_csv(args.labels, usecols=["seed"]))
    size_kb = (SHIPPED / "weights.safetensors").stat().st_size / 1024
    (SHIPPED / "MODEL_CARD.md").write_text(card(state, args.labels, n, size_kb))
    print(f"shipped {args.run} to {SHIPPED}")


if __name__ == "__main__":
    main()
