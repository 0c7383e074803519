"""The main job's output folder: labels.csv (row, cluster, confidence, outlier), summary.json
(every decision, score and note, as data), report.html (one self-contained page), and the
fitted model that `clusterlab assign` applies to new rows (model.json, model.safetensors)."""

from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..files import check_output_folder, json_default, write_run_folder
from ..version import __version__
from ..fitted.model import FILES as MODEL_FILES
from .result import AutoResult

VIEWS = ("pca", "umap")
FILES = {"labels": "labels.csv", "summary": "summary.json", "report": "report.html", **MODEL_FILES}  # a run folder


def write_outputs(result: AutoResult, out_dir: str | Path, report: bool = True, view: str = "pca") -> dict[str, Path]:
    """Write the folder; `view` is the report's 2-D map: pca (default) or umap (slower: it
    compiles on first use)."""
    if view not in VIEWS:
        raise ParameterError(f"view={view!r} is not allowed; choose one of: {', '.join(VIEWS)}")
    out = check_output_folder(out_dir)
    columns = {"row": np.arange(result.labels.size), "cluster": result.labels}
    if result.confidence is not None:
        columns["confidence"] = np.round(result.confidence, 4)
    columns["outlier"] = (result.outlier if result.outlier is not None else result.labels < 0).astype(int)
    figures_data = None
    if report:
        from ..report.views import report_views

        figures_data = report_views(result, view)
    summary = summary_dict(result, figures_data)
    writers = {FILES["labels"]: lambda p: pd.DataFrame(columns).to_csv(p, index=False),
               FILES["summary"]: lambda p: p.write_text(json.dumps(summary, indent=2, default=json_default))}
    if result.model is not None:
        writers.update(result.model.writers())
    if report:
        from ..report.html import render_report

        page = render_report(result, summary, figures_data)
        writers[FILES["report"]] = lambda p: p.write_text(page, encoding="utf-8")
    written = write_run_folder(out, writers, owned=tuple(FILES.values()),
                               info={"clusterlab": __version__, "created": summary["created"], "command": "auto"})
    return {key: written[name] for key, name in FILES.items() if name in written}


def summary_dict(result: AutoResult, views=None) -> dict:
    return {
        "clusterlab": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
        "dataset": {"name": result.dataset.name, "rows": result.dataset.n,
                    "features": result.dataset.n_features, "schema": result.dataset.schema.to_dict(),
                    "set_aside": result.dataset.meta.get("set_aside", []),
                    "source": result.dataset.meta.get("source")},
        "algorithm": result.algorithm,
        "k": result.k,
        "decisions": [d.__dict__ for d in result.decisions],
        "candidates": result.candidates,
        "internal_scores": result.internal,
        "external_scores": result.external,
        "balance": result.balance,
        "confidence": result.confidence_kind,
        "profiles": result.profiles,
        "autok": result.autok,
        "recommendation": result.recommendation,
        "view": ({k: v for k, v in views.view.items() if k in ("method", "what", "sampled")}
                 if views is not None and views.view else {}),
        "notes": result.notes,
        "timings": {**result.timings, **(views.timings if views is not None else {})},
        "seconds": round(result.seconds, 3),
    }
