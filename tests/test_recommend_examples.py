import numpy as np
import pandas as pd

from clusterlab.data.synthetic import generate
from clusterlab.recommend import label_many
from clusterlab.recommend.examples import build_examples, spec_of, split_by_seed


def test_examples_rebuild_the_labelled_datasets(tmp_path):
    path = tmp_path / "meta.csv"
    label_many(path, 3, backend="serial", progress=None, max_n=150)
    table = pd.read_csv(path)
    ex = build_examples(table, "set", m=64, p=8, cache=tmp_path / "ex.npz")
    assert len(ex) == 3 and ex.rows.shape == (3, 64, 8) and ex.ari.shape == (3, len(ex.algorithms))
    assert ex.k.tolist() == table.k.tolist()
    first = generate(spec_of(table.iloc[0]))
    assert first.features.shape[0] == table.rows.iloc[0]  # the spec rebuilds the same dataset
    again = build_examples(table, "set", m=64, p=8, cache=tmp_path / "ex.npz")  # from the cache
    assert np.array_equal(again.rows, ex.rows)


def test_split_is_stable_as_the_table_grows():
    train, test = split_by_seed(np.arange(1000))
    assert 60 <= len(test) <= 140 and not set(train) & set(test)
    _, test_more = split_by_seed(np.arange(2000))
    assert set(test) <= set(test_more)
