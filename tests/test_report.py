"""report.html: self-contained, and it renders in a real browser (headless Chromium)."""

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from clusterlab.data.dataset import Dataset, array_schema
from clusterlab.data.tables import infer_schema
from clusterlab.job import auto, write_outputs


def _chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: scripts/setup.sh test installs Debian's chromium")
        pytest.skip("no chromium here (scripts/setup.sh test installs it)")
    return path


def _render(html_path):
    done = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
                           "--dump-dom", html_path.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture
def blob_report(tmp_path, blobs):
    x, y = blobs
    result = auto(Dataset("blobs", x, array_schema(x), truth=y))
    return write_outputs(result, tmp_path / "out"), result


def test_report_is_self_contained_and_complete(blob_report):
    paths, result = blob_report
    page = paths["report"].read_text()
    assert "<img" in page and not re.search(r'src="(?!data:)', page)  # every figure inlined, nothing fetched
    for section in ("decisions", "recommendation", "k", "candidates", "judge", "view", "profiles", "scores"):
        assert f'id="{section}"' in page, section
    assert "judge of partitions" in page and "ari" in page
    labels = pd.read_csv(paths["labels"])
    assert list(labels.columns) == ["row", "cluster", "confidence", "outlier"] and len(labels) == 150
    summary = json.loads(paths["summary"].read_text())
    assert summary["candidates"][0]["algorithm"] == result.algorithm and len(summary["candidates"]) == 3
    assert len(summary["profiles"]) == result.k


def test_report_renders_in_headless_chromium(blob_report):
    paths, _ = blob_report
    dom = _render(paths["report"])
    images = re.search(r'data-images-ok="(\d+)/(\d+)"', dom)
    assert images, "the page's load script did not run"
    shown, total = map(int, images.groups())
    assert total >= 6 and shown == total, f"{shown} of {total} figures decoded"
    assert 'data-js-errors="0"' in dom


def test_mixed_table_report(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"id": [f"u{i}" for i in range(120)],
                          "amount": np.r_[rng.normal(0, 1, 60), rng.normal(6, 1, 60)],
                          "plan": ["basic"] * 60 + ["premium"] * 60,
                          "joined": pd.date_range("2020-01-01", periods=120).strftime("%Y-%m-%d")})
    typed, schema = infer_schema(frame)
    result = auto(Dataset("mixed", typed, schema, truth=np.repeat([0, 1], 60)))
    paths = write_outputs(result, tmp_path / "out")
    summary = json.loads(paths["summary"].read_text())
    assert summary["dataset"]["set_aside"] == ["id"] and result.algorithm == "gower_kmedoids"
    assert any("parsed column 'joined' as dates" in n for n in summary["notes"])
    assert result.external["ari"] == pytest.approx(1.0)
    assert "plan = " in paths["report"].read_text()


def test_an_image_folder_goes_through_auto_and_its_report_shows_the_pictures(tmp_path):
    """`clusterlab auto FOLDER` with no other argument: pretrained features, the head, pictures."""
    from PIL import Image

    rng = np.random.default_rng(0)
    folder = tmp_path / "photos"
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        (folder / name).mkdir(parents=True)
        for i in range(20):
            pixels = np.clip(np.array(colour) + rng.normal(scale=20, size=(24, 24, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / name / f"{i}.png")
    env_cache = tmp_path / "cache"
    import sys

    done = subprocess.run([sys.executable, "-m", "clusterlab.cli", "auto", str(folder), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CLUSTERLAB_CACHE": str(env_cache), "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    steps = {d["step"]: d for d in summary["decisions"]}
    assert {"representation", "k", "algorithm", "model"} <= set(steps)
    assert summary["external_scores"]["ari"] > 0.9  # the folder names are the truth, used only to score
    assert list((env_cache / "features").glob("*.npy"))  # the features were cached
    page = (tmp_path / "out" / "report.html").read_text()
    assert 'id="pictures"' in page and "Against the truth" in page
    assert 'alt="2-D map of the images"' in page  # the map drawn with the images as its points
    dom = _render(tmp_path / "out" / "report.html")
    shown, total = map(int, re.search(r'data-images-ok="(\d+)/(\d+)"', dom).groups())
    assert total >= 6 and shown == total
