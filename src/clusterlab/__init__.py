"""clusterlab: find good clusters in unlabelled data.

`clusterlab.auto(source)` is the main job in Python, as `clusterlab auto` is on the command line;
everything else lives in the subpackages (data, prep, algorithms, autok, recommend, deep, explain).
"""

__version__ = "0.1.0"


def auto(source="wine", *, output="clusterlab-out", **options):
    """Cluster `source` (a file path, a bundled dataset name or a `Dataset`) end to end and,
    unless `output` is None, write labels.csv, summary.json and report.html into `output`.

    `options` go to `clusterlab.pipeline.auto` (label, data_dir, max_k, seed, missing,
    runners_up, view). Returns the `AutoResult`; `result.paths` names the files written."""
    from .pipeline import auto as run, write_outputs

    result = run(source, **options)
    if output is not None:
        result.paths = write_outputs(result, output)
    return result
