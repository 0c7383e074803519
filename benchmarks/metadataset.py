"""What the recommender's meta-dataset holds so far: size, labelling throughput, and how
often each algorithm is the best on it.

Reads the labels CSV written by `clusterlab recommend label` (default runs/metadataset.csv)
and writes results/metadataset.md.

    python benchmarks/metadataset.py [--labels runs/metadataset.csv]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, ROOT, commit, machine_line, markdown_table, today  # noqa: E402


def main() -> None:
    from clusterlab import __version__
    from clusterlab.algorithms import names
    from clusterlab.recommend import read_labels_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default=str(ROOT / "runs" / "metadataset.csv"))
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args()

    table = read_labels_table(args.labels)
    algorithms = [a for a in names() if f"ari_{a}" in table.columns]
    ari = table[[f"ari_{a}" for a in algorithms]].set_axis(algorithms, axis=1)
    best = ari.idxmax(axis=1)
    per_core_hour = 3600.0 / table.seconds.mean()
    seconds = table[[f"seconds_{a}" for a in algorithms]].set_axis(algorithms, axis=1)
    summary = pd.DataFrame({
        "algorithm": algorithms,
        "mean ARI": ari.mean().values,
        "median ARI": ari.median().values,
        "share of datasets where best": [float((best == a).mean()) for a in algorithms],
        "ARI >= 0.8": [(ari[a] >= 0.8).mean() for a in algorithms],
        "failed or refused": [ari[a].isna().mean() for a in algorithms],
        "mean seconds": seconds.mean().values,
    }).sort_values("mean ARI", ascending=False)
    families = table.groupby("family").agg(datasets=("seed", "size"), mean_rows=("rows", "mean"),
                                           mean_k=("k", "mean")).reset_index()
    oracle = ari.max(axis=1)
    lines = [
        "# The recommender's meta-dataset so far",
        "",
        f"Machine: {machine_line()}. Date: {today()}. clusterlab {__version__} (commit {commit()}).",
        f"Source: `{Path(args.labels).name}` written by `clusterlab recommend label` (one worker per core, "
        "one thread each).",
        "",
        f"{len(table):,} synthetic datasets labelled with the ARI of {len(algorithms)} algorithms (true k where "
        f"the algorithm takes k). Labelling cost {table.seconds.mean():.2f} s of one core per dataset on average, "
        f"that is **{per_core_hour:,.0f} datasets per core-hour** on this machine (all fits and their "
        "scoring; generating a dataset takes milliseconds more). The best algorithm per dataset reaches mean ARI "
        f"{oracle.mean():.3f}; always choosing the single best algorithm on average ({summary.iloc[0].algorithm}) "
        f"reaches {summary.iloc[0]['mean ARI']:.3f}: that gap is what a recommender can win. Where several "
        "algorithms tie for best, the one listed first in the registry gets the count.",
        "",
        markdown_table(summary),
        "",
        "## By generator family",
        "",
        markdown_table(families, ".1f"),
    ]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metadataset.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out / 'metadataset.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
