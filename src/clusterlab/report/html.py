"""report.html: one self-contained page (figures inlined as PNG data, no external file, no
network) that a person opens first. Its small script checks on load that every figure decoded
and records it on the page (`data-images-ok`), which the browser test reads."""

from __future__ import annotations

import base64
import html
import math
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

from . import figures


def _img(path: Path | None) -> str | None:
    if path is None or not Path(path).exists():
        return None
    return "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.{digits}f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def build_figures(result, views, folder: Path) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    view = views.view
    if view:
        out["view"] = _img(figures.scatter_2d(np.asarray(view["xy"]), np.asarray(view["labels"]),
                                              f"{view['what']}" + (f", {len(view['xy']):,} sampled points"
                                                                   if view.get("sampled") else ""),
                                              folder / "view.png"))
    if views.silhouette:
        out["silhouette"] = _img(figures.silhouette_plot(np.asarray(views.silhouette["values"]),
                                                         np.asarray(views.silhouette["labels"]),
                                                         folder / "silhouette.png", views.silhouette["distance"]))
    sizes = {str(k): v for k, v in zip(*np.unique(result.labels, return_counts=True))}
    out["sizes"] = _img(figures.cluster_sizes(sizes, folder / "sizes.png"))
    rec = result.recommendation
    if rec and rec.get("ranking"):
        ranking = [(r["algorithm"], r["score"]) for r in rec["ranking"]]
        # The recommender's interval belongs to its own top pick: drawn only where that is the choice.
        interval = rec.get("interval") if rec.get("algorithm") == result.algorithm else None
        out["recommendation"] = _img(figures.recommendation_bar(ranking, result.algorithm, rec["score"],
                                                                folder / "recommendation.png", interval))
    if result.consensus is not None:
        out["k"] = _img(figures.autok_curves(result.consensus, folder / "k.png"))
    if result.profiles:
        out["profiles"] = _img(figures.profile_heatmap(result.profiles, folder / "profiles.png"))
    return {k: v for k, v in out.items() if v}


def render_report(result, summary: dict, views) -> str:
    """The page for `result`, as text; `views` is what `report.views.report_views` built for it."""
    from jinja2 import Environment, select_autoescape

    with tempfile.TemporaryDirectory() as tmp:
        images = build_figures(result, views, Path(tmp))
    template_text = resources.files(__package__).joinpath("templates/report.html").read_text()
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["fmt"] = _fmt
    scores = {**(result.internal or {}), **(result.external or {})}
    k_votes = []
    if result.autok:
        k_votes = [(e["method"], e["k"], result.autok["weights"].get(e["method"], 0.0), e.get("note") or "")
                   for e in result.autok.get("estimates", [])]
    pictures, confusion_matrix, image_map = [], None, None
    if result.dataset.is_image:
        from .pictures import cluster_pictures, confusion, thumbnail_map

        pictures = cluster_pictures(result.dataset.features, result.labels, result.confidence)
        if views.view:
            rows = np.asarray(views.view["rows"], dtype=np.int64)
            image_map = thumbnail_map(np.asarray(result.dataset.features)[rows], views.view["xy"],
                                      np.asarray(views.view["labels"]), seed=result.seed)
        if result.dataset.truth is not None:
            confusion_matrix = confusion(result.dataset.truth, result.labels, result.dataset.truth_names)
    page = env.from_string(template_text).render(
        r=result, s=summary, v=views, images=images, scores=scores, k_votes=k_votes, pictures=pictures,
        confusion=confusion_matrix, image_map=image_map,
        sizes=[(str(k), int(v)) for k, v in zip(*np.unique(result.labels, return_counts=True))],
        title=f"clusterlab: {html.escape(result.dataset.name)}")
    return page
