"""A run's fitted model: the input steps (`prep.saved.InputSteps`) and the placement rule
(`fitted.placement.Placement`), kept in the run folder as `model.json` (everything but numbers
in bulk) and `model.safetensors` (the arrays). The run folder's manifest guards both files
against change or truncation; `FORMAT` says which layout of them this clusterlab reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..prep.saved import InputSteps
from ..version import __version__
from .placement import Placement

FORMAT = 1
FILES = {"model": "model.json", "model_arrays": "model.safetensors"}


@dataclass
class FittedModel:
    steps: InputSteps
    placement: Placement
    algorithm: str
    k: int
    training_rows: int
    facts: dict = field(default_factory=dict)  # what the user may want to know: params, seed, dataset name

    def to_json(self) -> dict:
        return {"format": FORMAT, "clusterlab": __version__, "algorithm": self.algorithm, "k": self.k,
                "training_rows": self.training_rows, "steps": self.steps.to_json(),
                "placement": self.placement.to_json(), **self.facts}

    def arrays(self) -> dict[str, np.ndarray]:
        return {**{f"steps/{k}": v for k, v in self.steps.arrays.items()},
                **{f"placement/{k}": v for k, v in self.placement.arrays.items()}}

    def writers(self) -> dict:
        """File writers for `files.write_run_folder`."""
        import json

        from ..checkpoints import save_tensors
        from ..files import json_default

        text = json.dumps(self.to_json(), indent=2, default=json_default)
        return {FILES["model"]: lambda p: p.write_text(text, encoding="utf-8"),
                FILES["model_arrays"]: lambda p: save_tensors(p, self.arrays(), numpy=True)}

    @classmethod
    def load(cls, folder: str | Path) -> "FittedModel":
        """The model of a run folder written by `clusterlab auto`; anything else is one clear DataError."""
        from ..checkpoints import load_tensors, read_json
        from ..files import MANIFEST, read_run_folder

        folder = Path(folder)
        if not folder.is_dir():
            raise DataError(f"{folder} is not a folder; give the output folder of `clusterlab auto` (its -o)")
        if not (folder / MANIFEST).is_file() and not (folder / FILES["model"]).is_file():
            raise DataError(f"{folder} is not an output folder of `clusterlab auto`: it holds no {FILES['model']}")
        manifest = read_run_folder(folder)
        if FILES["model"] not in manifest.get("files", {}):
            raise DataError(f"{folder} holds a run without a fitted model ({FILES['model']}); it was written by "
                            f"clusterlab {manifest.get('clusterlab', 'of another version')}: run `clusterlab auto` again")
        data = read_json(folder / FILES["model"], "fitted model")
        if data.get("format") != FORMAT:
            raise DataError(f"{folder / FILES['model']} is a model of format {data.get('format')!r}, written by "
                            f"clusterlab {data.get('clusterlab', '?')}; this clusterlab ({__version__}) reads format "
                            f"{FORMAT}: run `clusterlab auto` again with this version")
        arrays = load_tensors(folder / FILES["model_arrays"], "fitted model arrays", numpy=True)
        try:
            steps = InputSteps.from_json(data["steps"], {k[6:]: v for k, v in arrays.items() if k.startswith("steps/")})
            placement = Placement.from_json(data["placement"],
                                            {k[10:]: v for k, v in arrays.items() if k.startswith("placement/")})
            model = cls(steps, placement, str(data["algorithm"]), int(data["k"]), int(data["training_rows"]),
                        {k: v for k, v in data.items() if k not in ("format", "clusterlab", "algorithm", "k",
                                                                    "training_rows", "steps", "placement")})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"{folder / FILES['model']} is not a fitted model ({type(exc).__name__}: {exc})") from None
        return model


def fitted_model(steps: InputSteps, estimator, space, labels: np.ndarray, algorithm: str, seed: int = 0,
                 reference: np.ndarray | None = None, **facts) -> FittedModel:
    """The model of a run: `labels` of the training rows as they lie in `space` (the matrix the
    clustering read, or its Gower encoding), the rule read off `estimator` (None: nearest row,
    among the `reference` rows where given)."""
    from .placement import placement_of

    labels = np.asarray(labels, dtype=np.int64)
    placement = placement_of(estimator, space, labels, seed, reference)
    k = int(np.unique(labels[labels >= 0]).size)
    return FittedModel(steps, placement, algorithm, k, int(labels.size), {"seed": seed, **facts})
