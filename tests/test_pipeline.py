import json

import numpy as np

from clusterlab.data.dataset import Dataset, array_schema
from clusterlab.pipeline import auto, write_outputs


def test_auto_finds_k_and_writes_outputs(blobs, tmp_path):
    x, y = blobs
    result = auto(Dataset("blobs", x, array_schema(x), truth=y))
    assert result.k == 3 and result.external["ari"] > 0.95
    paths = write_outputs(result, tmp_path / "out")
    summary = json.loads(paths["summary"].read_text())
    assert summary["k"] == 3 and summary["decisions"][1]["step"] == "k"
    assert "weighted vote" in summary["decisions"][1]["reason"]
    assert summary["autok"]["k"] == 3 and len(summary["autok"]["estimates"]) == 11
    labels = np.loadtxt(paths["labels"], delimiter=",", skiprows=1)
    assert labels.shape == (150, 2)
