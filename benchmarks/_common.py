"""Shared helpers of the benchmark scripts: where data lives, the machine line, table output."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "results"


def default_data_dir() -> str:
    """$CLUSTERLAB_DATA, else the shared data folder beside the checkout."""
    return os.environ.get("CLUSTERLAB_DATA") or str(ROOT.parent / "shared" / "data")


def machine_line() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 2**20:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()}, Python {platform.python_version()}"


def commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def today() -> str:
    return date.today().isoformat()


def markdown_table(frame, floatfmt: str = ".3f") -> str:
    """A pandas frame as a GitHub markdown table (no tabulate dependency)."""
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("" if v != v else format(v, floatfmt))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def benchmark_matrix(data_dir: str, battery: str, name: str):
    """A benchmark dataset and the matrix every benchmark clusters: clustbench data as the
    framework prepares it; tables standardised, one-hot encoded, missing cells imputed."""
    from clusterlab.data import load
    from clusterlab.prep import encode

    if battery == "tabular":
        dataset = load(f"tabular/{name}", data_dir=data_dir)
        return dataset, encode(dataset, scale="standard", missing="impute").matrix
    dataset = load(f"clustbench/{battery}/{name}", data_dir=data_dir)
    return dataset, dataset.features


def header(title: str, script: str) -> list[str]:
    """The opening lines of a results table: title, machine, date, commit, command."""
    return [f"# {title}", "", f"Machine: {machine_line()}. Date {today()}, commit {commit()}. "
            f"Produced by `python benchmarks/{script}`.", ""]


def _status_mib(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mib() -> float:
    """This process's resident memory now (NaN where /proc is missing)."""
    now = _status_mib("VmRSS")
    return float("nan") if now is None else now


def peak_rss_mib() -> float:
    """This process's peak resident memory. Linux keeps ru_maxrss across fork and exec, so a
    child started by a large parent reports the parent's peak; VmHWM belongs to the process's
    own address space and starts afresh at exec."""
    peak = _status_mib("VmHWM")
    if peak is None:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak


def in_fresh_process(module: str, call: str, timeout: int = 3600) -> dict:
    """Run `module.call` (a Python expression returning JSON-able data) in a new interpreter, so
    that its peak memory and its compilation costs are its own; return what it returned."""
    import json
    import sys

    code = (f"import sys, json; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
            f"import {module}; print(json.dumps({module}.{call}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{module}.{call} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
