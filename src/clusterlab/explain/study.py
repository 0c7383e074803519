"""The study as one function: does clustering a table first change model quality and explanations?

For each seed: cluster the features (never the target) with the router, split rows into
train and test (stratified), fit the table encoder on the training rows, train every model
kind on all training rows ("whole") and one per cluster ("per-cluster"), then score both on the
same test rows: overall (each test row scored by its cluster's model) and inside each cluster.
IMN's importances (mean |w_j(x) x_j|) are computed per cluster for the whole-data model and
for the cluster's own model, and compared with SHAP's on the same rows.

A cluster with too few training rows, or a single class, keeps the whole-data model and says so.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..checkpoints import read_json
from ..data.dataset import Schema
from ..errors import DataError, NotFoundError, ParameterError
from .encoder import TableEncoder
from .importance import agreement, imn_importance, shap_importance, shap_values
from .models import MODEL_KINDS, TASKS, Hyper, NeuralModel, make_model
from .router import ClusterRouter
from .scores import classification_scores, regression_scores

MIN_CLUSTER_ROWS = 30


@dataclass
class StudyResult:
    target: str
    task: str
    scores: pd.DataFrame  # seed, scope (whole | per-cluster), cluster (all | c), model, metrics...
    importance: pd.DataFrame  # seed, model (whole | cluster), cluster, feature, imn, shap
    agreement: pd.DataFrame  # seed, model, cluster, spearman, top5_jaccard
    clusters: list[dict]  # per seed: k, reason, sizes
    notes: list[str] = field(default_factory=list)
    tuning: dict = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> pd.DataFrame:
        """Overall test scores, mean and sd over seeds, whole vs per-cluster, per model."""
        overall = self.scores[self.scores.cluster == "all"]
        metrics = [c for c in overall.columns if c not in ("seed", "scope", "cluster", "model", "rows")]
        return overall.groupby(["model", "scope"])[metrics].agg(["mean", "std"]).round(4)

    def stability(self, top: int = 5) -> pd.DataFrame:
        """How stable the top features are across seeds: mean pairwise Jaccard of top-k sets."""
        rows = []
        if self.importance.empty:  # IMN was not among the models
            return pd.DataFrame(columns=["model", "cluster", "seeds", f"top{top}_jaccard"])
        for (model, cluster), part in self.importance.groupby(["model", "cluster"]):
            tops = [set(p.sort_values("imn", ascending=False).feature.head(top)) for _, p in part.groupby("seed")]
            pairs = [len(a & b) / len(a | b) for i, a in enumerate(tops) for b in tops[i + 1:]]
            rows.append({"model": model, "cluster": cluster, "seeds": len(tops),
                         f"top{top}_jaccard": float(np.mean(pairs)) if pairs else np.nan})
        return pd.DataFrame(rows)


def read_study_table(path: str | Path, target: str | None, required: bool = True):
    """(typed feature table, schema, target values or None) from a CSV or Parquet file."""
    from ..data.tables import infer_schema, read_frame

    path = Path(path)
    frame = read_frame(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    y = None
    if target is not None and target in frame.columns:
        y = frame.pop(target)
    elif required:
        raise NotFoundError(f"no column {target!r} in {path.name}; its columns are: "
                            f"{', '.join(frame.columns[:20])}" + (" ..." if frame.shape[1] > 20 else ""))
    if frame.shape[1] == 0:
        raise DataError(f"{path.name} has no feature columns besides the target {target!r}")
    typed, schema = infer_schema(frame)
    return typed, schema, y


def infer_task(y: pd.Series) -> str:
    if not pd.api.types.is_numeric_dtype(y):
        return "classification"
    values = y.dropna().unique()
    return "classification" if len(values) <= 10 and np.all(np.equal(np.mod(values, 1), 0)) else "regression"


def _scores(task, y, model_or_pred, x=None, classes=None) -> dict:
    if task == "classification":
        return classification_scores(y, model_or_pred, classes)
    return regression_scores(y, model_or_pred)


def run_study(frame: pd.DataFrame, schema: Schema, y, *, target: str = "target", task: str = "auto",
              cluster: str = "auto", k: int | None = None, models=("imn", "tabresnet", "linear", "boosting"),
              seeds=(0,), test_size: float = 0.2, hyper: Hyper | None = None, tune_trials: int = 0,
              tune_timeout: float | None = None, storage: str | Path | None = None, shap_rows: int = 100,
              shap_background: int = 50, out: str | Path | None = None, progress=None) -> StudyResult:
    """Run the study; with `out`, write its folder (see `write_study`)."""
    start = time.perf_counter()
    y = pd.Series(np.asarray(y)).reset_index(drop=True)
    frame = frame.reset_index(drop=True)
    if y.isna().any():
        keep = y.notna().to_numpy()
        frame, y = frame[keep].reset_index(drop=True), y[keep].reset_index(drop=True)
        notes = [f"dropped {int((~keep).sum())} rows without a target"]
    else:
        notes = []
    task = infer_task(y) if task == "auto" else task
    if task not in TASKS:
        raise ParameterError(f"task={task!r} is not allowed; choose auto, {', '.join(TASKS)}")
    unknown = [m for m in models if m not in MODEL_KINDS]
    if unknown:
        raise ParameterError(f"unknown models {unknown}; choose from: {', '.join(MODEL_KINDS)}")
    if frame.shape[0] < 20:
        raise DataError(f"only {frame.shape[0]} rows with a target: the study needs at least 20")
    if task == "classification" and y.nunique() < 2:
        raise DataError(f"the target {target!r} holds a single class; nothing to predict")
    if task == "regression":
        y = y.astype(float)
    hyper = hyper or Hyper()
    score_rows, imp_rows, agree_rows, clusters, tuning = [], [], [], [], {}
    saved = {}
    say = progress or (lambda message: None)
    for seed_index, seed in enumerate(seeds):
        router = ClusterRouter(cluster, k, seed=seed)
        labels = router.fit(frame, schema)
        sizes = np.bincount(labels, minlength=router.n_clusters).tolist()
        clusters.append({"seed": seed, "k": router.n_clusters, "reason": router.state["reason"], "sizes": sizes})
        say(f"seed {seed}: {router.state['reason']}; sizes {sizes}")
        idx = np.arange(len(y))
        from sklearn.model_selection import train_test_split

        strat = y.to_numpy() if task == "classification" and y.value_counts().min() >= 2 else None
        tr, te = train_test_split(idx, test_size=test_size, random_state=seed, stratify=strat)
        encoder = TableEncoder(schema).fit(frame.iloc[tr])
        x = encoder.transform(frame)
        sources = encoder.sources
        yv = y.to_numpy()
        hypers = {}
        for kind in models:
            hypers[kind] = hyper
            if tune_trials and kind in ("imn", "tabresnet"):
                from .tuning import tune

                say(f"seed {seed}: tuning {kind} ({tune_trials} trials)")
                hypers[kind], tuning[f"{kind}-seed{seed}"] = tune(
                    kind, task, x[tr], yv[tr], trials=tune_trials, timeout=tune_timeout, storage=storage,
                    study_name=f"{target}-{kind}-{task}-seed{seed}", seed=seed, base=hyper)
        for kind in models:
            say(f"seed {seed}: {kind} on all training rows")
            whole = make_model(kind, task, seed, hypers[kind] if kind in ("imn", "tabresnet") else None)
            whole.fit(x[tr], yv[tr], columns=_varying(x[tr]))
            whole_out = _outputs(whole, task, x[te])
            routed = whole_out.copy()
            cluster_models = {}
            for c in range(router.n_clusters):
                in_c = labels[tr] == c
                te_c = labels[te] == c
                reason = _too_small(task, yv[tr][in_c])
                if reason:
                    if seed_index == 0 and kind == models[0]:
                        notes.append(f"cluster {c}: {reason}; it keeps the whole-data model")
                    continue
                model = make_model(kind, task, seed, hypers[kind] if kind in ("imn", "tabresnet") else None)
                # Columns constant inside the cluster (its own category, say) carry nothing there; in
                # IMN they would only act as a second bias and crowd the importance ranking.
                model.fit(x[tr][in_c], yv[tr][in_c], columns=_varying(x[tr][in_c]))
                cluster_models[c] = model
                if te_c.any():
                    routed[te_c] = _outputs(model, task, x[te][te_c], like=whole)
            classes = getattr(whole, "classes_", None)
            for scope, out_ in (("whole", whole_out), ("per-cluster", routed)):
                score_rows.append({"seed": seed, "scope": scope, "cluster": "all", "model": kind, "rows": len(te),
                                   **_scores(task, yv[te], out_, classes=classes)})
                for c in range(router.n_clusters):
                    te_c = labels[te] == c
                    if te_c.sum() >= 2:
                        score_rows.append({"seed": seed, "scope": scope, "cluster": str(c), "model": kind,
                                           "rows": int(te_c.sum()),
                                           **_scores(task, yv[te][te_c], out_[te_c], classes=classes)})
            if kind == "imn":
                for c in range(router.n_clusters):
                    te_c = te[labels[te] == c]
                    tr_c = tr[labels[tr] == c]
                    if te_c.size < 5:
                        continue
                    for who, model in (("whole", whole), ("cluster", cluster_models.get(c))):
                        if model is None:
                            continue
                        say(f"seed {seed}: IMN and SHAP importances, cluster {c}, {who} model")
                        imn = imn_importance(model, x[te_c], sources)
                        rng = np.random.default_rng(seed)
                        ex = rng.choice(te_c, min(shap_rows, te_c.size), replace=False)
                        bg = rng.choice(tr_c, min(shap_background, tr_c.size), replace=False)
                        sv = shap_values(model, x[ex], x[bg], seed=seed)
                        sh = shap_importance(sv, sources)
                        for feature in imn.index:
                            imp_rows.append({"seed": seed, "model": who, "cluster": str(c), "feature": feature,
                                             "imn": float(imn[feature]), "shap": float(sh.get(feature, np.nan))})
                        agree_rows.append({"seed": seed, "model": who, "cluster": str(c),
                                           **agreement(imn, sh)})
                        if seed_index == 0:
                            saved.setdefault("shap", {})[(who, c)] = (sv, x[ex])
            if seed_index == 0:
                saved[kind] = (whole, cluster_models)
        if seed_index == 0:
            saved["router"], saved["encoder"], saved["labels"] = router, encoder, labels
    result = StudyResult(target, task, pd.DataFrame(score_rows), pd.DataFrame(imp_rows), pd.DataFrame(agree_rows),
                         clusters, notes, tuning, time.perf_counter() - start)
    if out is not None:
        write_study(result, saved, Path(out), frame, y)
    return result


def _varying(x: np.ndarray) -> np.ndarray:
    keep = np.flatnonzero(x.max(axis=0) > x.min(axis=0))
    return keep if keep.size else np.arange(x.shape[1])


def _too_small(task, y_c) -> str | None:
    if y_c.size < MIN_CLUSTER_ROWS:
        return f"only {y_c.size} training rows (fewer than {MIN_CLUSTER_ROWS})"
    if task == "classification" and np.unique(y_c).size < 2:
        return "a single class in its training rows"
    return None


def _outputs(model, task, x, like=None) -> np.ndarray:
    """Probabilities over the whole model's classes (classification) or predictions."""
    if task == "regression":
        return np.asarray(model.predict(x), dtype=float)
    proba = model.predict_proba(x)
    if like is None or np.array_equal(model.classes_, like.classes_):
        return proba
    full = np.zeros((x.shape[0], len(like.classes_)))  # a cluster may lack some classes
    full[:, np.searchsorted(like.classes_, model.classes_)] = proba
    return full


# ---- the output folder ---------------------------------------------------------------------

def write_study(result: StudyResult, saved: dict, out: Path, frame: pd.DataFrame, y: pd.Series) -> None:
    """comparison.csv / comparison.md, importance.csv, agreement.csv, stability.csv, clusters.csv,
    study.json, figures/*.png, and models/ (encoder, router, IMN and TabResNet weights) that
    `evaluate_study` reloads for new rows."""
    from . import figures

    out.mkdir(parents=True, exist_ok=True)
    result.scores.to_csv(out / "comparison.csv", index=False)
    result.importance.to_csv(out / "importance.csv", index=False)
    result.agreement.to_csv(out / "agreement.csv", index=False)
    result.stability().to_csv(out / "stability.csv", index=False)
    pd.DataFrame({"row": np.arange(len(saved["labels"])), "cluster": saved["labels"]}).to_csv(
        out / "clusters.csv", index=False)
    (out / "comparison.md").write_text(comparison_markdown(result))
    models_dir = out / "models"
    models_dir.mkdir(exist_ok=True)
    (models_dir / "encoder.json").write_text(json.dumps(saved["encoder"].to_dict()))
    (models_dir / "router.json").write_text(json.dumps(saved["router"].to_dict()))
    kept = []
    for kind in MODEL_KINDS:
        if kind not in saved or kind not in ("imn", "tabresnet"):
            continue
        whole, per_cluster = saved[kind]
        whole.save(models_dir / f"whole-{kind}")
        kept.append(kind)
        for c, model in per_cluster.items():
            model.save(models_dir / f"cluster{c}-{kind}")
    meta = {"target": result.target, "task": result.task, "models": kept, "clusters": result.clusters,
            "notes": result.notes, "tuning": result.tuning, "seconds": round(result.seconds, 1),
            "classes": [str(c) for c in np.unique(y)] if result.task == "classification" else None}
    (out / "study.json").write_text(json.dumps(meta, indent=2, default=str))
    figures.write_all(result, saved, out / "figures", frame, y)


def comparison_markdown(result: StudyResult) -> str:
    s = result.summary()
    lines = [f"# Whole-data vs per-cluster models: target `{result.target}` ({result.task})", ""]
    for c in result.clusters:
        lines.append(f"- seed {c['seed']}: {c['reason']}; cluster sizes {c['sizes']}")
    lines += ["", "Test scores, mean (sd) over seeds; per-cluster scores each test row with its cluster's model.",
              ""]
    metrics = sorted({m for m, _ in s.columns})
    lines.append("| model | scope | " + " | ".join(metrics) + " |")
    lines.append("|---|---|" + "---|" * len(metrics))
    for (model, scope), row in s.iterrows():
        cells = [f"{row[(m, 'mean')]:.4f} ({0 if np.isnan(row[(m, 'std')]) else row[(m, 'std')]:.4f})"
                 for m in metrics]
        lines.append(f"| {model} | {scope} | " + " | ".join(cells) + " |")
    if len(result.agreement):
        a = result.agreement.groupby("model")[["spearman", "top5_jaccard"]].mean().round(3)
        lines += ["", "IMN vs SHAP rankings (mean over clusters and seeds):", "",
                  "| model | Spearman | top-5 Jaccard |", "|---|---|---|"]
        lines += [f"| {m} | {r.spearman} | {r.top5_jaccard} |" for m, r in a.iterrows()]
    if result.notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in result.notes]
    return "\n".join(lines) + "\n"


def evaluate_file(folder: str | Path, source: str | Path) -> tuple[pd.DataFrame, dict | None]:
    """`evaluate_study` on the rows of a CSV or Parquet file, scored where the file holds the
    study's target column."""
    meta_path = Path(folder) / "study.json"
    target = None
    if meta_path.exists():
        try:
            target = json.loads(meta_path.read_text()).get("target")
        except (json.JSONDecodeError, AttributeError, OSError):
            target = None  # evaluate_study says what is wrong with the folder
    frame, _, y = read_study_table(source, target, required=False)
    return evaluate_study(folder, frame, y)


def _check_matches_study(model, meta: dict, folder: Path) -> None:
    """A saved model answers the study's own question: its task, and for classification the
    classes the study recorded (an edited study.json or model file would mislabel rows)."""
    if model.task != meta["task"]:
        raise DataError(f"{folder}: a saved model is for {model.task}, the study for {meta['task']}; the folder "
                        "was edited or mixes two studies: run `clusterlab explain` again")
    if model.task == "classification" and "classes" in meta:
        if [str(c) for c in model.classes_] != [str(c) for c in meta["classes"]]:
            raise DataError(f"{folder}: a saved model predicts classes {list(map(str, model.classes_))}, the study "
                            f"records {list(map(str, meta['classes']))}: run `clusterlab explain` again")


def evaluate_study(folder: str | Path, frame: pd.DataFrame, y=None) -> tuple[pd.DataFrame, dict | None]:
    """Saved study on new rows: cluster of each row, and the whole-data and per-cluster IMN /
    TabResNet predictions; with `y`, their scores."""
    folder = Path(folder)
    meta_path = folder / "study.json"
    if not meta_path.exists():
        raise NotFoundError(f"{folder} holds no study.json: is it the output folder of `clusterlab explain`?")
    try:
        meta = read_json(meta_path, "study description")
        encoder = TableEncoder.from_dict(read_json(folder / "models" / "encoder.json", "table encoding"))
        router = ClusterRouter.from_dict(read_json(folder / "models" / "router.json", "cluster router"))
        if meta["task"] not in ("classification", "regression") or not isinstance(meta["models"], list):
            raise ValueError(f"task {meta['task']!r}, models {meta['models']!r}")
    except DataError as exc:
        raise DataError(f"{folder} holds an unreadable study: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DataError(f"{folder} holds an unreadable study ({type(exc).__name__}: {exc}); "
                        "run `clusterlab explain` again") from None
    try:
        x = encoder.transform(frame)
        labels = router.predict(frame)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise DataError(f"{folder}'s saved encoding does not apply to these rows or is damaged "
                        f"({type(exc).__name__}: {exc})") from None
    out = pd.DataFrame({"row": np.arange(len(frame)), "cluster": labels})
    scores = {} if y is not None else None
    for kind in meta["models"]:
        whole = NeuralModel.load(folder / "models" / f"whole-{kind}")
        _check_matches_study(whole, meta, folder)
        preds = {"whole": _outputs(whole, meta["task"], x)}
        routed = preds["whole"].copy()
        for c in range(router.n_clusters):
            path = folder / "models" / f"cluster{c}-{kind}"
            rows = labels == c
            if path.with_suffix(".json").exists() and rows.any():
                part = NeuralModel.load(path)
                _check_matches_study(part, meta, folder)
                routed[rows] = _outputs(part, meta["task"], x[rows], like=whole)
        preds["per-cluster"] = routed
        for scope, p in preds.items():
            if meta["task"] == "classification":
                out[f"{kind}_{scope}"] = whole.classes_[p.argmax(axis=1)]
                out[f"{kind}_{scope}_p"] = p.max(axis=1)
            else:
                out[f"{kind}_{scope}"] = p
            if scores is not None:
                yv = np.asarray(y)
                if meta["task"] == "classification":
                    yv = yv.astype(whole.classes_.dtype) if whole.classes_.dtype.kind != "O" else yv.astype(str)
                scores[f"{kind}/{scope}"] = _scores(meta["task"], yv, p, classes=getattr(whole, "classes_", None))
    return out, scores
