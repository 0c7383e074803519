import numpy as np
import pandas as pd
import pytest

from clusterlab.data.dataset import Dataset
from clusterlab.data.tables import infer_schema
from clusterlab.errors import DataError
from clusterlab.prep.tidy import tidy


def _dataset(frame):
    typed, schema = infer_schema(frame)
    return Dataset("t", typed, schema)


def test_ids_constants_and_dates():
    n = 40
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "customer_id": [f"C{i:04d}" for i in range(n)],
        "row": np.arange(n),
        "country": ["NO"] * n,
        "signup": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "spend": rng.normal(size=n),
        "plan": rng.choice(["a", "b"], n),
    })
    out = tidy(_dataset(frame))
    assert out.schema.names == ["signup", "spend", "plan"]
    assert out.schema.column("signup").kind == "numeric"
    assert out.features.signup.iloc[1] - out.features.signup.iloc[0] == pytest.approx(1.0)
    notes = " ".join(out.notes)
    assert "'customer_id': ID-like" in notes and "'row': ID-like" in notes and "'country'" in notes
    assert "parsed column 'signup' as dates" in notes
    assert out.meta["set_aside"] == ["customer_id", "row", "country"]


def test_free_text_is_refused_and_clean_tables_pass_unchanged():
    n = 200
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(150)]
    frame = pd.DataFrame({"comment": rng.choice(words, n), "x": rng.normal(size=n)})
    with pytest.raises(DataError, match="'comment' is text with"):
        tidy(_dataset(frame))
    clean = _dataset(pd.DataFrame({"x": rng.normal(size=n), "y": rng.normal(size=n)}))
    assert tidy(clean) is clean


def test_nothing_usable_is_an_error():
    with pytest.raises(DataError, match="no usable column"):
        tidy(_dataset(pd.DataFrame({"k": [1] * 30, "id": [f"r{i}" for i in range(30)]})))
