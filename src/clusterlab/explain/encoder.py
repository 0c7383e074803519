"""A table -> matrix encoder whose whole state is plain JSON, so saved models reload without pickle.

Numbers: median for blanks, then standardised. Booleans: most frequent value for blanks, kept 0/1.
Categories: one column per category seen in training (a blank or an unseen category: all zeros).
Every encoded column remembers the table column it came from, so importances sum back to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Schema
from ..errors import DataError


class TableEncoder:
    def __init__(self, schema: Schema | None = None):
        self.numeric: list[str] = list(schema.numeric) if schema else []
        self.boolean: list[str] = list(schema.boolean) if schema else []
        self.categorical: list[str] = list(schema.categorical) if schema else []
        self.state: dict = {}

    def fit(self, frame: pd.DataFrame) -> "TableEncoder":
        num = frame[self.numeric].astype("float64") if self.numeric else pd.DataFrame(index=frame.index)
        med = num.median() if self.numeric else pd.Series(dtype=float)
        filled = num.fillna(med)
        sd = filled.std(ddof=0) if self.numeric else pd.Series(dtype=float)
        self.state = {
            "numeric": {c: [float(np.nan_to_num(med[c])), float(filled[c].mean()),
                            float(sd[c]) if sd[c] > 0 else 1.0] for c in self.numeric},
            "boolean": {c: float(frame[c].mode().iloc[0]) if frame[c].notna().any() else 0.0 for c in self.boolean},
            "categorical": {c: sorted(map(str, frame[c].dropna().unique())) for c in self.categorical},
        }
        return self

    @property
    def feature_names(self) -> list[str]:
        names = list(self.numeric) + list(self.boolean)
        for c in self.categorical:
            names += [f"{c}={v}" for v in self.state["categorical"][c]]
        return names

    @property
    def sources(self) -> list[str]:
        """The table column behind each encoded column."""
        out = list(self.numeric) + list(self.boolean)
        for c in self.categorical:
            out += [c] * len(self.state["categorical"][c])
        return out

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        if not self.state:
            raise DataError("the encoder is not fitted yet")
        absent = [c for c in self.numeric + self.boolean + self.categorical if c not in frame.columns]
        if absent:
            raise DataError(f"the rows lack columns the model was trained on: {', '.join(absent[:5])}")
        parts = []
        for c in self.numeric:
            med, mean, sd = self.state["numeric"][c]
            values = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64)
            parts.append(((np.where(np.isnan(values), med, values) - mean) / sd)[:, None])
        for c in self.boolean:
            values = pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64)
            parts.append(np.where(np.isnan(values), self.state["boolean"][c], values)[:, None])
        for c in self.categorical:
            levels = self.state["categorical"][c]
            values = frame[c].astype(object).where(frame[c].notna(), None).map(
                lambda v: None if v is None else str(v)).to_numpy()
            parts.append((values[:, None] == np.array(levels, dtype=object)[None, :]).astype(np.float64))
        x = np.hstack(parts) if parts else np.zeros((frame.shape[0], 0))
        return np.ascontiguousarray(x, dtype=np.float32)

    def fit_transform(self, frame: pd.DataFrame) -> np.ndarray:
        return self.fit(frame).transform(frame)

    def to_dict(self) -> dict:
        return {"numeric": self.numeric, "boolean": self.boolean, "categorical": self.categorical, "state": self.state}

    @classmethod
    def from_dict(cls, data: dict) -> "TableEncoder":
        enc = cls()
        enc.numeric, enc.boolean, enc.categorical = data["numeric"], data["boolean"], data["categorical"]
        enc.state = data["state"]
        return enc


def aggregate_by_source(values: np.ndarray, sources: list[str]) -> pd.DataFrame:
    """Sum per-encoded-column values (rows x encoded columns) into their table columns."""
    frame = pd.DataFrame(values, columns=range(values.shape[1]))
    groups = pd.Series(sources)
    return frame.T.groupby(groups.to_numpy(), sort=False).sum().T
