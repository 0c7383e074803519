import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared benchmark data: $CLUSTERLAB_DATA, else ../shared/data beside the checkout."""
    path = Path(os.environ.get("CLUSTERLAB_DATA") or ROOT.parent / "shared" / "data")
    if not (path / "clustbench").is_dir():
        pytest.skip(f"benchmark data not found at {path}")
    return path


@pytest.fixture
def blobs():
    """Three well-separated Gaussian blobs, 50 points each, in 2-D."""
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    x = np.vstack([c + rng.normal(scale=0.6, size=(50, 2)) for c in centres])
    y = np.repeat(np.arange(3), 50)
    return x, y


@pytest.fixture
def mixed_csv(tmp_path) -> Path:
    frame = pd.DataFrame({
        "age": [23, 35, None, 51, 44, 29],
        "city": ["Oslo", "Rome", "Oslo", "Lima", None, "Rome"],
        "member": ["yes", "no", "yes", "yes", "no", "no"],
        "score": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5],
        "label": ["a", "b", "a", "b", "a", "b"],
    })
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    return path


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real command, in a fresh process, as a user runs it."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "clusterlab.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=240)
