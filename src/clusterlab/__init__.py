"""clusterlab: find good clusters in unlabelled data.

`clusterlab.auto(source)` is the main job in Python, as `clusterlab auto` is on the command line;
everything else lives in the subpackages (data, prep, algorithms, autok, recommend, deep, explain).
"""

from .version import __version__

__all__ = ["__version__", "auto"]


def auto(source="wine", *, output="clusterlab-out", report: bool = True, view: str = "pca", **options):
    """Cluster `source` (a file path, a bundled dataset name or a `Dataset`) end to end and,
    unless `output` is None, write labels.csv, summary.json and (unless `report` is False)
    report.html into `output`, its 2-D map by `view` (pca or umap).

    `options` go to `clusterlab.job.auto` (label, data_dir, max_k, seed, missing, runners_up).
    Returns the `AutoResult`; `result.paths` names the files written."""
    from .job import VIEWS, auto as run, write_outputs
    from .errors import ParameterError

    if view not in VIEWS:  # before the work, not after it
        raise ParameterError(f"view={view!r} is not allowed; choose one of: {', '.join(VIEWS)}")
    result = run(source, **options)
    if output is not None:
        result.paths = write_outputs(result, output, report=report, view=view)
    return result
