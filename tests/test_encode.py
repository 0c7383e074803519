import numpy as np
import pytest

from clusterlab.data import read_table
from clusterlab.data.dataset import Dataset, array_schema
from clusterlab.errors import DataError, ParameterError
from clusterlab.prep import encode


def test_missing_policies(mixed_csv):
    d = read_table(mixed_csv, label="label")
    with pytest.raises(DataError, match="--missing impute"):
        encode(d)
    imputed = encode(d, missing="impute")
    assert imputed.matrix.shape[0] == 6 and np.isfinite(imputed.matrix).all()
    assert "city_Oslo" in imputed.feature_names
    dropped = encode(d, missing="drop")
    assert dropped.rows.tolist() == [0, 1, 3, 5]
    assert np.allclose(imputed.matrix[:, 0].mean(), 0.0)  # standardised by default for tables


def test_arrays_keep_scale_and_images_flatten():
    x = np.arange(12, dtype=float).reshape(6, 2)
    assert np.array_equal(encode(Dataset("x", x, array_schema(x))).matrix, x)
    imgs = np.full((4, 2, 2), 255, dtype=np.uint8)
    m = encode(Dataset("i", imgs, array_schema(imgs))).matrix
    assert m.shape == (4, 4) and m.max() == 1.0


def test_bad_choice_names_allowed_values():
    x = np.ones((3, 2))
    with pytest.raises(ParameterError, match="scale='big'.*standard"):
        encode(Dataset("x", x, array_schema(x)), scale="big")
