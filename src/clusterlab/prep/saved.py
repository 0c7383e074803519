"""The input steps of a run as fitted, saved as plain data (JSON and arrays, never pickle) and
applied to new rows with NumPy alone: which columns were read and of what kind, what tidying
set aside or parsed, the imputation values, the scaling, the categories, the projection the
clusters were found in, and for mixed tables the Gower encoding (ranges, levels, weights).

Applied to the training rows, `InputSteps.apply` gives back the matrix the run clustered (a
test holds it equal to the scikit-learn transformer it was read from). New rows must bring
the same columns with values of the same kind; a category never seen is encoded as matching
none (all zeros in one-hot, a mismatch in Gower) and counted."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..errors import DataError, ParameterError
from .encode import Encoding, pixel_rows, unit_rows
from .gower import UNSEEN, GowerData, encode_like


def category_text(value) -> str:
    """The one spelling of a category used for matching: a whole number read as 3.0 in one file
    and "3" in another is the same category."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _texts(series: pd.Series) -> pd.Series:
    return series.map(lambda v: v if pd.isna(v) else category_text(v))


@dataclass
class Applied:
    """New rows under the fitted steps: what the placement rule reads, and what was met on the way."""

    data: np.ndarray | GowerData
    unseen: dict[str, int] = field(default_factory=dict)  # column -> cells holding a category never seen
    imputed: int = 0  # missing cells filled with the training values
    notes: list[str] = field(default_factory=list)


@dataclass
class InputSteps:
    kind: str  # "table" (columns by name) or "array" (rows of a fixed shape)
    input: str  # what the clustering read: "matrix" (encoded numbers) or "table" (Gower)
    columns: list[dict]  # table: {"name", "kind"} of every column used, after tidying
    set_aside: list[str] = field(default_factory=list)  # columns the run set aside (ignored when present)
    dates: list[str] = field(default_factory=list)  # text columns parsed as dates (days since 1970)
    label: str | None = None  # the truth column of the training file (ignored when present)
    row_shape: list[int] = field(default_factory=list)  # array: one row's shape (an image's h, w[, c])
    pixels: bool = False  # array: bytes 0..255 scaled to [0, 1]
    backbone: str | None = None  # images: the pretrained features the rows are read through (deep.backbones)
    encoder: dict = field(default_factory=dict)  # images: net, latent, shape of a trained encoder (backbone
    # "autoencoder"), its weights in arrays["encoder.*"]; its codes are read as they are, not scaled to unit length
    categories: dict[str, list[str]] = field(default_factory=dict)  # one-hot levels of each categorical column
    fills: dict[str, object] = field(default_factory=dict)  # the most frequent value of boolean / categorical columns
    gower: dict = field(default_factory=dict)  # names, levels, ordinal levels of a Gower encoding
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    # -- reading what a run fitted ------------------------------------------------------------
    @classmethod
    def of_matrix(cls, dataset: Dataset, encoding: Encoding, projection=None) -> "InputSteps":
        """The steps that made `encoding.matrix` from `dataset` (a tidied dataset; `projection`
        a fitted PCA the clusters were found in, or None)."""
        steps = cls._base(dataset, "matrix")
        arrays = steps.arrays
        t = encoding.transformer
        if dataset.is_table:
            schema = dataset.schema
            parts = dict((name, fitted) for name, fitted, _ in t.transformers_) if t is not None else {}
            if schema.numeric:
                imputer, scaler = parts["numeric"].steps[0][1], parts["numeric"].steps[1][1]
                arrays["numeric.fill"] = np.asarray(imputer.statistics_, dtype=np.float64)
                arrays["numeric.shift"], arrays["numeric.scale"] = _affine(scaler, len(schema.numeric))
            if schema.boolean:
                arrays["boolean.fill"] = np.asarray(parts["boolean"].statistics_, dtype=np.float64)
            if schema.categorical:
                imputer, coder = parts["categorical"].steps[0][1], parts["categorical"].steps[1][1]
                if not hasattr(coder, "categories_") or type(coder).__name__ != "OneHotEncoder":
                    raise ParameterError("only one-hot encoded categories can be saved with a model")
                steps.categories = {c: [category_text(v) for v in cats]
                                    for c, cats in zip(schema.categorical, coder.categories_)}
                steps.fills = {c: category_text(v) for c, v in zip(schema.categorical, imputer.statistics_)}
        else:
            flat = pixel_rows(dataset.features) if steps.pixels else _rows(dataset.features)
            with np.errstate(all="ignore"):
                fill = np.nanmedian(flat, axis=0) if np.isnan(flat).any() else np.zeros(flat.shape[1])
            arrays["numeric.fill"] = np.nan_to_num(fill)
            arrays["numeric.shift"], arrays["numeric.scale"] = _affine(t if t is not None else "passthrough",
                                                                       flat.shape[1])
        if projection is not None:
            if getattr(projection, "whiten", False):
                raise ParameterError("a whitened projection cannot be saved with a model")
            arrays["projection.mean"] = np.asarray(projection.mean_, dtype=np.float64)
            arrays["projection.components"] = np.asarray(projection.components_, dtype=np.float64)
        return steps

    @classmethod
    def of_images(cls, dataset: Dataset, backbone: str | None, projection, encoder: dict | None = None
                  ) -> "InputSteps":
        """Images read as pixels in [0, 1] (`backbone` None), through a backbone's unit-length
        features, or through the codes of a trained `encoder` ({"net", "latent", "shape",
        "weights"}), then projected on `projection`'s principal axes."""
        steps = cls._base(dataset, "matrix")
        steps.backbone = backbone
        if encoder:
            steps.encoder = {key: encoder[key] for key in ("net", "latent", "shape")}
            steps.arrays.update({f"encoder.{name}": np.asarray(w) for name, w in encoder["weights"].items()})
        width = projection.mean_.shape[0]
        steps.arrays.update({"numeric.fill": np.zeros(width), "numeric.shift": np.zeros(width),
                             "numeric.scale": np.ones(width), "projection.mean": np.asarray(projection.mean_, np.float64),
                             "projection.components": np.asarray(projection.components_, np.float64)})
        return steps

    @classmethod
    def of_gower(cls, dataset: Dataset, encoding: GowerData) -> "InputSteps":
        steps = cls._base(dataset, "table")
        steps.gower = {"numeric": list(encoding.numeric_names), "codes": list(encoding.code_names),
                       "levels": {c: [category_text(v) for v in lv] for c, lv in encoding.levels.items()},
                       "ordinal": {c: [category_text(v) for v in lv] for c, lv in encoding.ordinal_levels.items()}}
        steps.arrays.update({"gower.inv_range": encoding.inv_range, "gower.numeric_weights": encoding.numeric_weights,
                             "gower.code_weights": encoding.code_weights,
                             "gower.asymmetric": encoding.asymmetric.astype(np.uint8)})
        return steps

    @classmethod
    def _base(cls, dataset: Dataset, input: str) -> "InputSteps":
        label = dataset.meta.get("label")
        if dataset.is_table:
            return cls("table", input, [{"name": c.name, "kind": c.kind} for c in dataset.schema.columns],
                       list(dataset.meta.get("set_aside", [])), list(dataset.meta.get("dates", [])), label)
        shape = list(np.asarray(dataset.features).shape[1:])
        return cls("array", input, [], label=label, row_shape=shape,
                   pixels=bool(dataset.is_image and dataset.features.dtype == np.uint8))

    # -- plain data ---------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"kind": self.kind, "input": self.input, "columns": self.columns, "set_aside": self.set_aside,
                "dates": self.dates, "label": self.label, "row_shape": self.row_shape, "pixels": self.pixels,
                "categories": self.categories, "fills": self.fills, "gower": self.gower, "backbone": self.backbone,
                "encoder": self.encoder}

    @classmethod
    def from_json(cls, data: dict, arrays: dict[str, np.ndarray]) -> "InputSteps":
        return cls(str(data["kind"]), str(data["input"]), list(data["columns"]), list(data["set_aside"]),
                   list(data["dates"]), data.get("label"), [int(v) for v in data["row_shape"]], bool(data["pixels"]),
                   backbone=data.get("backbone"), categories=dict(data["categories"]), fills=dict(data["fills"]),
                   gower=dict(data["gower"]), encoder=dict(data.get("encoder") or {}), arrays=dict(arrays))

    # -- new rows -----------------------------------------------------------------------------
    def apply(self, dataset: Dataset, features: np.ndarray | None = None) -> Applied:
        """`dataset` (read as `auto` reads it, not tidied) under these steps; images read through a
        backbone come with that backbone's `features` of them (the caller runs the network, which
        lives in a layer above this one)."""
        if self.kind == "array":
            return self._apply_array(dataset, features)
        frame = self._checked_frame(dataset)
        if self.input == "table":
            return self._apply_gower(frame)
        return self._apply_encoding(frame)

    def _checked_frame(self, dataset: Dataset) -> pd.DataFrame:
        if not dataset.is_table:
            raise DataError(f"the model was fitted on a table with columns {', '.join(self.names[:8])}; "
                            f"{dataset.name} is not a table")
        frame: pd.DataFrame = dataset.features
        ignored = set(self.set_aside) | ({self.label} if self.label else set())
        missing = [c for c in self.names if c not in frame.columns]
        extra = [c for c in frame.columns if c not in self.names and c not in ignored]
        if missing or extra:
            said = []
            if missing:
                said.append(f"it lacks column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing[:10]))}")
            if extra:
                said.append(f"it has column{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra[:10]))} "
                            "the model never saw (drop them, or name a truth column with --label)")
            raise DataError(f"{dataset.name} does not have the model's columns: {'; '.join(said)}")
        kinds = {c.name: c.kind for c in dataset.schema.columns}
        out = {}
        for column in self.columns:
            name, kind = column["name"], column["kind"]
            values = frame[name]
            if name in self.dates:
                parsed = pd.to_datetime(values, errors="coerce", format="mixed")
                out[name] = (parsed - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
                continue
            now = kinds.get(name)
            if kind in ("numeric", "boolean") and now == "categorical" and values.notna().any():
                example = values.dropna().iloc[0]
                raise DataError(f"column {name!r} held {'numbers' if kind == 'numeric' else 'yes/no values'} when "
                                f"the model was fitted; in {dataset.name} it holds text (such as {str(example)!r})")
            if kind == "boolean" and not set(values.dropna().unique().tolist()) <= {0.0, 1.0}:
                raise DataError(f"column {name!r} held yes/no values (0/1) when the model was fitted; in "
                                f"{dataset.name} it holds other numbers")
            out[name] = values
        return pd.DataFrame(out, index=frame.index)

    @property
    def names(self) -> list[str]:
        return [c["name"] for c in self.columns]

    def _of_kind(self, kind: str) -> list[str]:
        return [c["name"] for c in self.columns if c["kind"] == kind]

    def _apply_encoding(self, frame: pd.DataFrame) -> Applied:
        a = self.arrays
        blocks, unseen, imputed = [], {}, 0
        numeric = self._of_kind("numeric")
        if numeric:
            x = frame[numeric].to_numpy(dtype=np.float64)
            blank = np.isnan(x)
            imputed += int(blank.sum())
            x = np.where(blank, a["numeric.fill"], x)
            blocks.append((x - a["numeric.shift"]) / a["numeric.scale"])
        boolean = self._of_kind("boolean")
        if boolean:
            x = frame[boolean].to_numpy(dtype=np.float64)
            blank = np.isnan(x)
            imputed += int(blank.sum())
            blocks.append(np.where(blank, a["boolean.fill"], x))
        for name in self._of_kind("categorical"):
            values = _texts(frame[name])
            imputed += int(values.isna().sum())
            values = values.fillna(self.fills[name])
            levels = self.categories[name]
            codes = pd.Categorical(values, categories=levels).codes
            if (codes < 0).any():
                unseen[name] = int((codes < 0).sum())
            onehot = np.zeros((len(values), len(levels)))
            known = codes >= 0
            onehot[np.flatnonzero(known), codes[known]] = 1.0
            blocks.append(onehot)
        x = np.hstack(blocks) if blocks else np.zeros((len(frame), 0))
        return Applied(self._project(x), unseen, imputed)

    def check_array(self, dataset: Dataset) -> np.ndarray:
        """`dataset`'s rows, when they are the array rows these steps were fitted on (a clear error
        if not); called before any network reads them."""
        if dataset.is_table:
            raise DataError(f"the model was fitted on an array of rows of shape {tuple(self.row_shape)}; "
                            f"{dataset.name} is a table")
        features = np.asarray(dataset.features)
        if list(features.shape[1:]) != self.row_shape:
            raise DataError(f"the model was fitted on rows of shape {tuple(self.row_shape)}; {dataset.name} holds "
                            f"rows of shape {tuple(features.shape[1:])}")
        return features

    def _apply_array(self, dataset: Dataset, backbone_features: np.ndarray | None) -> Applied:
        features = self.check_array(dataset)
        if self.backbone is not None:
            if backbone_features is None or len(backbone_features) != len(features):
                raise ParameterError(f"these steps read images through the {self.backbone} {'codes' if self.encoder else 'backbone'}: "
                                     "pass its features of the same images")
            x = np.asarray(backbone_features, np.float64) if self.encoder else unit_rows(backbone_features)
        else:
            x = pixel_rows(features) if self.pixels else _rows(features)
        blank = np.isnan(x)
        x = np.where(blank, self.arrays["numeric.fill"], x)
        x = (x - self.arrays["numeric.shift"]) / self.arrays["numeric.scale"]
        return Applied(self._project(x), {}, int(blank.sum()))

    def _project(self, x: np.ndarray) -> np.ndarray:
        if "projection.components" not in self.arrays:
            return x
        return (x - self.arrays["projection.mean"]) @ self.arrays["projection.components"].T

    def _apply_gower(self, frame: pd.DataFrame) -> Applied:
        g, a = self.gower, self.arrays
        texts = frame.copy()
        asym = a["gower.asymmetric"].astype(bool)
        for name, is_asym in zip(g["codes"], asym):
            if not is_asym:
                texts[name] = _texts(frame[name])
        for name in g["ordinal"]:
            texts[name] = _texts(frame[name])
        like = GowerData(np.zeros((0, len(g["numeric"])), np.float32), np.zeros((0, len(g["codes"])), np.int32),
                         a["gower.inv_range"], a["gower.numeric_weights"], a["gower.code_weights"], asym,
                         tuple(g["numeric"]), tuple(g["codes"]), g["levels"], g["ordinal"])
        encoded = encode_like(texts, like)
        unseen = {name: int(n) for name, n in zip(g["codes"], (encoded.codes == UNSEEN).sum(axis=0)) if n}
        return Applied(encoded, unseen, 0)


def _rows(features) -> np.ndarray:
    return np.asarray(features).reshape(len(features), -1).astype(np.float64)


def _affine(scaler, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(shift, scale) with scaled = (x - shift) / scale, for the scalers `encode` fits."""
    if isinstance(scaler, str) or scaler is None:  # "passthrough"
        return np.zeros(width), np.ones(width)
    kind = type(scaler).__name__
    if kind == "StandardScaler":
        mean = scaler.mean_ if scaler.mean_ is not None else np.zeros(width)
        return np.asarray(mean, np.float64), np.asarray(scaler.scale_ if scaler.scale_ is not None else np.ones(width))
    if kind == "MinMaxScaler":  # x * scale_ + min_
        return -np.asarray(scaler.min_) / np.asarray(scaler.scale_), 1.0 / np.asarray(scaler.scale_)
    if kind == "RobustScaler":
        return np.asarray(scaler.center_, np.float64), np.asarray(scaler.scale_, np.float64)
    raise ParameterError(f"a {kind} cannot be saved with a model")
