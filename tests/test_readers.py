import gzip
import io
import tarfile

import numpy as np
import pandas as pd
import pytest

from clusterlab.data import list_datasets, load, read_numpy, read_table
from clusterlab.data.images import read_hdf5, read_idx, read_image_folder
from clusterlab.errors import DataError, NotFoundError


def test_csv_schema_and_truth(mixed_csv):
    d = read_table(mixed_csv, label="label")
    kinds = {c.name: c.kind for c in d.schema.columns}
    assert kinds == {"age": "numeric", "city": "categorical", "member": "boolean", "score": "numeric"}
    assert d.schema.column("age").n_missing == 1 and d.schema.column("city").n_missing == 1
    assert "label" not in d.features.columns
    assert d.truth.tolist() == [0, 1, 0, 1, 0, 1] and d.truth_names == ("a", "b")
    assert d.features["member"].tolist() == [1.0, 0.0, 1.0, 1.0, 0.0, 0.0]


def test_csv_semicolon_and_parquet(tmp_path):
    (tmp_path / "s.csv").write_text("a;b\n1;2\n3;4\n")
    d = read_table(tmp_path / "s.csv")
    assert d.features.shape == (2, 2) and d.schema.numeric == ["a", "b"]
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["u", "v", "u"], "y": [0, 1, 0]})
    frame.to_parquet(tmp_path / "t.parquet")
    p = load(tmp_path / "t.parquet", label="y")
    assert p.schema.categorical == ["c"] and p.truth.tolist() == [0, 1, 0]


def test_missing_label_column_is_named(mixed_csv):
    with pytest.raises(NotFoundError, match="no column 'target'.*age"):
        read_table(mixed_csv, label="target")


@pytest.mark.parametrize("content, message", [
    ("", "empty"),
    ("a,b\n", "no rows"),
    ("a,b\n1,2\n3,inf\n", "infinite value at line 3"),
    ("a,b\n" + "".join(f"{i},{i}\n" for i in range(20)) + "7,oops\n", "column 'b' is numeric but line 22 holds the text 'oops'"),
])
def test_bad_tables(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_table(path)


def test_numpy_readers(tmp_path):
    x = np.arange(12, dtype=float).reshape(6, 2)
    np.save(tmp_path / "x.npy", x)
    assert load(tmp_path / "x.npy").features.shape == (6, 2)
    np.savez(tmp_path / "xy.npz", X=x, y=np.array([1, 1, 2, 2, 3, 3]))
    d = read_numpy(tmp_path / "xy.npz")
    assert d.truth.tolist() == [0, 0, 1, 1, 2, 2]
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    with pytest.raises(DataError, match="needs numbers"):
        read_numpy(tmp_path / "s.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(DataError, match="cannot read"):
        read_numpy(tmp_path / "junk.npy")


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_idx_roundtrip_and_truncation(tmp_path):
    images = np.random.default_rng(0).integers(0, 255, size=(5, 4, 3)).astype(np.uint8)
    path = tmp_path / "imgs-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(_idx_bytes(images)))
    assert np.array_equal(read_idx(path), images)
    bad = tmp_path / "cut-idx3-ubyte"
    bad.write_bytes(_idx_bytes(images)[:-3])
    with pytest.raises(DataError, match="truncated"):
        read_idx(bad)


def test_hdf5_groups(tmp_path):
    import h5py

    with h5py.File(tmp_path / "u.h5", "w") as f:
        for split, n in (("train", 4), ("test", 2)):
            g = f.create_group(split)
            g["data"] = np.random.default_rng(1).random((n, 16)).astype(np.float32)
            g["target"] = np.arange(n) % 2
    d = read_hdf5(tmp_path / "u.h5")
    assert d.features.shape == (6, 4, 4) and d.truth.shape == (6,)
    assert read_hdf5(tmp_path / "u.h5", split="test").n == 2


def _png(value: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.full((3, 3), value, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_image_folder_and_tarball(tmp_path):
    for cls, value in (("cat", 10), ("dog", 200)):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(2):
            (tmp_path / "imgs" / cls / f"{i}.png").write_bytes(_png(value))
    d = read_image_folder(tmp_path / "imgs")
    assert d.features.shape == (4, 3, 3) and d.truth.tolist() == [0, 0, 1, 1]
    with tarfile.open(tmp_path / "imgs.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "imgs", arcname="train")
    t = load(tmp_path / "imgs.tar.gz")
    assert t.features.shape == (4, 3, 3)
    assert read_image_folder(tmp_path / "imgs.tar.gz", split="train").truth_names == ("cat", "dog")


def test_builtin_default_needs_no_data_dir(monkeypatch):
    monkeypatch.delenv("CLUSTERLAB_DATA", raising=False)
    d = load("wine")
    assert d.features.shape == (178, 13) and d.n_clusters_true == 3
    with pytest.raises(NotFoundError, match="--data-dir"):
        load("tabular/Iris")
    with pytest.raises(NotFoundError, match="no file or bundled dataset"):
        load("nonsense")
    with pytest.raises(NotFoundError, match="no such file"):
        load("missing.csv")


def test_battery_noise_and_alternatives(data_dir):
    d = load("clustbench/graves/zigzag_outliers", data_dir=data_dir)
    assert d.truth.min() == -1  # label 0 (noise) in the file
    assert d.n_clusters_true == 3 and set(np.unique(d.truth)) == {-1, 0, 1, 2}
    assert load("wut/x2", data_dir=data_dir).features.shape == (120, 2)
    target = load("fcps/target", data_dir=data_dir)  # two reference labellings
    assert len(target.references) == 2 and target.truth_alternatives[0].shape == target.truth.shape


def test_bundled_tables_and_images(data_dir):
    telco = load("tabular/telco-churn", data_dir=data_dir)
    assert telco.n == 7043 and telco.schema.is_mixed and telco.schema.n_missing == 11
    mnist = load("images/mnist-test", data_dir=data_dir)
    assert mnist.features.shape == (10000, 28, 28) and mnist.n_clusters_true == 10
    usps = load("images/usps:test", data_dir=data_dir)
    assert usps.features.shape == (2007, 16, 16)
    names = set(list_datasets(data_dir).name)
    assert {"wine", "tabular/Iris", "images/cifar10", "clustbench/wut/<name>"} <= names


def test_read_labels(tmp_path):
    from clusterlab.data import read_labels

    (tmp_path / "l.csv").write_text("row,cluster\n0,1\n1,-1\n2,0\n")
    assert read_labels(tmp_path / "l.csv").tolist() == [1, -1, 0]
    (tmp_path / "t.csv").write_text("x,label\n1,cat\n2,dog\n3,cat\n")
    assert read_labels(tmp_path / "t.csv", prefer=("label",)).tolist() == [0, 1, 0]
    (tmp_path / "gap.csv").write_text("row,cluster\n0,1\n1,\n2,3\n")
    with pytest.raises(DataError, match="empty cells"):
        read_labels(tmp_path / "gap.csv")
    with pytest.raises(NotFoundError, match="no column 'nope'"):
        read_labels(tmp_path / "t.csv", column="nope")
