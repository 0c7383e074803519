"""clusterlab: find good clusters in unlabelled data.

`clusterlab.auto(source)` is the main job in Python, as `clusterlab auto` is on the command line, and
`clusterlab.assign(folder, new)` labels new rows by the model it saved, as `clusterlab assign` does;
everything else lives in the subpackages (data, prep, algorithms, autok, recommend, deep, explain).
"""

from .version import __version__

__all__ = ["__version__", "assign", "auto"]


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


def assign(model_dir, source, *, output=None, label=None, data_dir=None):
    """Label the rows of `source` (any input `auto` reads) by the model `auto` saved in `model_dir`;
    with `output`, also write them as a CSV (row, cluster, confidence, outlier).
    Returns the `fitted.Assignment`."""
    from .fitted import assign as run
    from .files import check_output_file, write_atomic

    if output is not None:
        check_output_file(output)
    result = run(model_dir, source, label=label, data_dir=data_dir)
    if output is not None:
        frame = result.frame()
        write_atomic(output, lambda p: frame.to_csv(p, index=False))
    return result
