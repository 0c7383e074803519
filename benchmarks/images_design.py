"""Design data for the image job's choices: the *training* splits only.

For USPS, Fashion-MNIST and CIFAR-10 training images (a sample of 5,000 each; the test sets of
results/images.md are never read here), each candidate representation (pixels, EfficientNet-Lite0
features, the codes of a reconstruction autoencoder trained on the sample) and each clusterer the
job could run on it (k-means; the SCAN-style head; UMAP to k dimensions then a Gaussian mixture,
N2D's tail) gives a partition at the true k. Each partition is scored as the job could score it,
without labels: its modularity on every representation's 20-nearest-neighbour graph and on their
sum; and with the labels, which the job never sees: ACC. Also each representation's k-means
modularity curve over k = 2..15 and its 20-NN label agreement. Written to
results/images-design.csv (the k curves in results/images-design-k.csv); the representations are
kept in runs/images-design-NAME.npz. The features here are EfficientNet-Lite0's (this design came
before the backbone's, benchmarks/backbones_design.py).

Usage: python benchmarks/images_design.py [--rows 5000] [--epochs 100] [--only NAME,...]
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

SETS = {"usps": "images/usps:train", "fashion-mnist": "images/fashion-mnist:train", "cifar10": "images/cifar10:train"}
RUNS = Path(__file__).resolve().parents[1] / "runs"
OUT = Path(__file__).resolve().parents[1] / "results" / "images-design.csv"
CURVES = OUT.with_name("images-design-k.csv")
RULES = OUT.with_name("images-design-rules.csv")


def representations(name: str, rows: int, epochs: int) -> tuple[dict, np.ndarray, dict]:
    from clusterlab.data import load
    from clusterlab.deep.backbones import features
    from clusterlab.deep.methods.n2d import N2D
    from clusterlab.job.images import _components
    from clusterlab.prep.encode import pixel_rows, unit_rows

    path = RUNS / f"images-design-{name}.npz"
    if path.exists():
        saved = np.load(path)
        return ({r: saved[r] for r in ("pixels", "efficientnet_lite0", "autoencoder")}, saved["truth"],
                {r: float(saved[f"{r}_seconds"]) for r in ("pixels", "efficientnet_lite0", "autoencoder")})
    ds = load(SETS[name], data_dir=default_data_dir())
    pick = np.random.default_rng(0).choice(ds.n, min(rows, ds.n), replace=False)
    images, truth = np.asarray(ds.features)[pick], np.asarray(ds.truth)[pick]
    reps, seconds = {}, {}
    t = time.perf_counter()
    reps["pixels"] = _components(pixel_rows(images), 0)[1]
    seconds["pixels"] = time.perf_counter() - t
    t = time.perf_counter()
    reps["efficientnet_lite0"] = _components(unit_rows(features(images, "efficientnet_lite0")), 0)[1]
    seconds["efficientnet_lite0"] = time.perf_counter() - t
    t = time.perf_counter()
    ae = N2D(n_clusters=int(np.unique(truth).size), net="mlp", latent=10, pretrain_epochs=epochs, manifold="pca",
             seed=0).fit(images)
    reps["autoencoder"] = _components(ae.transform(images), 0)[1]
    seconds["autoencoder"] = time.perf_counter() - t
    np.savez(path, truth=truth, **reps, **{f"{r}_seconds": s for r, s in seconds.items()})
    return reps, truth, seconds


def partitions(z: np.ndarray, k: int) -> dict[str, np.ndarray]:
    import umap
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture

    from clusterlab.deep.head import FeatureHead

    u = umap.UMAP(n_components=k, n_neighbors=10, min_dist=0.0, random_state=0).fit_transform(z)
    return {"kmeans": KMeans(k, n_init=4, random_state=0).fit_predict(z),
            "head": FeatureHead(k, random_state=0).fit(z).labels_,
            "umap+gmm": GaussianMixture(k, covariance_type="full", n_init=4, random_state=0).fit(u).predict(u)}


def k_curves(names: list[str]) -> None:
    """For each representation: UMAP to 10 dimensions once, then a Gaussian mixture at each k in
    2..15, each partition's modularity on the representation's own graph and on all three, and ACC."""
    import umap
    from sklearn.mixture import GaussianMixture

    from clusterlab.deep.head import mine_neighbours
    from clusterlab.metrics import neighbour_modularity
    from clusterlab.metrics.external import accuracy

    rows = pd.read_csv(CURVES).to_dict("records") if CURVES.exists() else []
    for name in names:
        if any(r["dataset"] == name for r in rows):
            continue
        reps, truth, _ = representations(name, 0, 0)
        graphs = {r: mine_neighbours(z, 20) for r, z in reps.items()}
        joint = np.concatenate(list(graphs.values()), axis=1)
        for rep, z in reps.items():
            u = umap.UMAP(n_components=10, n_neighbors=10, min_dist=0.0, random_state=0).fit_transform(z)
            for k in range(2, 16):
                labels = GaussianMixture(k, covariance_type="full", n_init=2, random_state=0).fit(u).predict(u)
                rows.append({"dataset": name, "representation": rep, "k": k, "ACC": round(accuracy(truth, labels), 4),
                             "modularity on own": round(neighbour_modularity(graphs[rep], labels), 4),
                             "modularity on all": round(neighbour_modularity(joint, labels), 4)})
            print(pd.DataFrame([r for r in rows if r["dataset"] == name and r["representation"] == rep]).to_string(),
                  flush=True)
            pd.DataFrame(rows).to_csv(CURVES, index=False)


def rule_curves() -> None:
    """k-means modularity curves (k = 2..15) of the pixels, the default backbone's features and the
    autoencoder's codes on the three training samples and on scikit-learn's bundled 8 x 8 digits
    (1,797 images, shipped inside the package), for comparing rules of representation and k."""
    from sklearn.datasets import load_digits

    from clusterlab.deep.backbones import DEFAULT_BACKBONE, features
    from clusterlab.deep.methods.n2d import N2D
    from clusterlab.job.images import _components, measure
    from clusterlab.prep.encode import pixel_rows, unit_rows

    rows = pd.read_csv(RULES).to_dict("records") if RULES.exists() else []
    for name in [*SETS, "sklearn-digits"]:
        if any(r["dataset"] == name for r in rows):
            continue
        if name == "sklearn-digits":
            digits = load_digits()
            images = (digits.images * (255 / 16)).astype(np.uint8)
            ae = N2D(n_clusters=10, net="mlp", latent=10, pretrain_epochs=100, manifold="pca", seed=0).fit(images)
            reps = {"pixels": _components(pixel_rows(images), 0)[1], "autoencoder": _components(ae.transform(images), 0)[1]}
        else:
            saved, _, _ = representations(name, 0, 0)
            ds_pick = np.random.default_rng(0)
            from clusterlab.data import load

            ds = load(SETS[name], data_dir=default_data_dir())
            pick = ds_pick.choice(ds.n, len(saved["pixels"]), replace=False)
            images = np.asarray(ds.features)[pick]
            reps = {"pixels": saved["pixels"], "autoencoder": saved["autoencoder"]}
        reps[DEFAULT_BACKBONE] = _components(unit_rows(features(images, DEFAULT_BACKBONE)), 0)[1]
        for rep, z in reps.items():
            curve = measure(z, 15, 0)
            rows.append({"dataset": name, "representation": rep, **{str(k): round(v, 4) for k, v in curve.items()}})
            print(rows[-1], flush=True)
        pd.DataFrame(rows).to_csv(RULES, index=False)


def main() -> None:
    from clusterlab.deep.head import mine_neighbours
    from clusterlab.job.images import measure
    from clusterlab.metrics import neighbour_modularity
    from clusterlab.metrics.external import accuracy

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--only", default="")
    parser.add_argument("--curves", action="store_true", help="the k curves of UMAP + mixture instead")
    parser.add_argument("--rules", action="store_true", help="k-means curves for comparing rules instead")
    args = parser.parse_args()
    if args.rules:
        rule_curves()
        return
    if args.curves:
        k_curves([n for n in SETS if not args.only or n in args.only.split(",")])
        return
    rows = pd.read_csv(OUT).to_dict("records") if OUT.exists() else []
    for name in SETS:
        if (args.only and name not in args.only.split(",")) or any(r["dataset"] == name for r in rows):
            continue
        reps, truth, seconds = representations(name, args.rows, args.epochs)
        k = int(np.unique(truth).size)
        graphs = {r: mine_neighbours(z, 20) for r, z in reps.items()}
        joint = np.concatenate(list(graphs.values()), axis=1)
        for rep, z in reps.items():
            curve = measure(z, 15, 0)
            agree = float((truth[graphs[rep]] == truth[:, None]).mean())
            for clusterer, labels in partitions(z, k).items():
                row = {"dataset": name, "representation": rep, "clusterer": clusterer, "rows": len(z),
                       "representation seconds": round(seconds[rep], 1), "ACC": round(accuracy(truth, labels), 4),
                       **{f"modularity on {g}": round(neighbour_modularity(nb, labels), 4) for g, nb in graphs.items()},
                       "modularity on all": round(neighbour_modularity(joint, labels), 4),
                       "20-NN label agreement": round(agree, 4), "k-means best k": max(curve, key=curve.get),
                       "curve": ";".join(f"{kk}:{v:.3f}" for kk, v in curve.items())}
                print({k_: v for k_, v in row.items() if k_ != "curve"}, flush=True)
                rows.append(row)
                pd.DataFrame(rows).to_csv(OUT, index=False)


if __name__ == "__main__":
    main()
