import os

import pytest

from clusterlab.errors import ParameterError
from clusterlab.parallel import run_tasks


def square(v):
    if v == 3:
        raise ValueError("three is not allowed")
    return v * v


def thread_env(_):
    return os.environ.get("OMP_NUM_THREADS")


@pytest.mark.parametrize("backend", ["serial", "processes"])
def test_results_and_failures(backend):
    results = sorted(run_tasks(square, range(5), backend=backend, workers=2), key=lambda r: r.index)
    assert [r.value for r in results if r.ok] == [0, 1, 4, 16]
    assert results[3].error == "ValueError: three is not allowed"


def test_workers_are_capped():
    values = {r.value for r in run_tasks(thread_env, range(4), backend="processes", workers=2, threads=1)}
    assert values == {"1"}


def test_dask_backend():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        results = sorted(run_tasks(square, range(5), backend=c.scheduler_address), key=lambda r: r.index)
    assert [r.value for r in results if r.ok] == [0, 1, 4, 16] and not results[3].ok


def test_unknown_backend():
    with pytest.raises(ParameterError, match="backend='gpu'"):
        list(run_tasks(square, range(3), backend="gpu"))
