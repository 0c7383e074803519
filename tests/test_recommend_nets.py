import numpy as np
import pytest
import torch

from clusterlab.recommend.encoders import GRID_COLS, GRID_ROWS, canonical_set, clustrecnet_grid
from clusterlab.recommend.nets import VARIANTS, ClustRecNet, SetRecommender, parameter_count


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(loc=c, size=(150, 6)) for c in (0.0, 4.0, 8.0)])


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_clustrecnet_variants_shapes(variant, data):
    model = ClustRecNet(10, variant).eval()
    grid = torch.from_numpy(clustrecnet_grid(data).grid[None])
    assert grid.shape == (1, 1, GRID_ROWS, GRID_COLS)
    with torch.no_grad():
        assert model(grid.repeat(2, 1, 1, 1)).shape == (2, 10)


def test_full_clustrecnet_has_about_84k_parameters():
    assert 75_000 <= parameter_count(ClustRecNet(10, "cnnresatt")) <= 95_000


def test_grid_is_centred_and_cut_down_beyond_its_size():
    g = clustrecnet_grid(np.ones((10, 2)) * np.arange(10)[:, None]).grid[0]
    rows, cols = np.nonzero(g)
    assert rows.min() == (GRID_ROWS - 10) // 2 and set(cols) == {(GRID_COLS - 2) // 2, (GRID_COLS - 2) // 2 + 1}
    big = clustrecnet_grid(np.random.default_rng(1).normal(size=(3000, 80)))
    assert "2000 of 3000 rows" in big.note and "first 50 of 80 columns" in big.note


def _set_output(model, x):
    s = canonical_set(x, m=256)
    with torch.no_grad():
        ari, k = model(torch.from_numpy(s.rows[None]), torch.from_numpy(s.mask[None]), torch.from_numpy(s.meta[None]))
    return ari.numpy(), k.numpy()


def test_set_model_is_invariant_to_row_and_column_order(data):
    torch.manual_seed(0)
    model = SetRecommender(17, n_meta=48).eval()
    rng = np.random.default_rng(3)
    ari, k = _set_output(model, data)
    assert ari.shape == (1, 17) and k.shape == (1, 19)
    for _ in range(3):
        shuffled = data[rng.permutation(len(data))][:, rng.permutation(data.shape[1])]
        a2, k2 = _set_output(model, shuffled)
        assert np.allclose(ari, a2, atol=1e-5) and np.allclose(k, k2, atol=1e-5)


@pytest.mark.parametrize("n,d", [(12, 1), (40, 3), (5000, 120)])
def test_set_encoding_takes_any_size(n, d):
    s = canonical_set(np.random.default_rng(n).normal(size=(n, d)), m=256, p=16)
    assert s.rows.shape == (256, 16) and s.mask.sum() == min(n, 256) and s.meta.shape == (18 + 30,)
    assert np.isfinite(s.rows).all()


def test_set_encoding_is_order_free_with_collinear_columns_and_duplicate_rows():
    rng = np.random.default_rng(7)
    a = rng.exponential(size=(300, 2))
    x = np.column_stack([a, 250 * a[:, 1], a[:, 0] + a[:, 1]])  # two collinear columns: rank 2 in 4-D
    x = np.vstack([x, x[:40]])  # duplicate rows
    base = canonical_set(x)
    for _ in range(5):
        s = canonical_set(x[rng.permutation(len(x))][:, rng.permutation(4)])
        assert np.allclose(s.meta, base.meta, atol=1e-6)
        assert np.allclose(np.sort(s.rows, axis=0), np.sort(base.rows, axis=0), atol=1e-9)
