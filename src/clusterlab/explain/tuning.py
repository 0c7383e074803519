"""Optuna (TPE) over the IMN paper's search space: epochs, learning rate, batch size, weight
decay, L1 weight, dropout. Each trial trains on a split of the training rows and scores on the
rest (AUROC for classification, negative RMSE for regression). Studies live in SQLite by
default, so an interrupted study resumes and a finished one can be read by `optuna-dashboard`.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from ..errors import ParameterError
from .models import Hyper, NeuralModel
from .scores import primary_score


def suggest(trial, base: Hyper) -> Hyper:
    return replace(base,
                   epochs=trial.suggest_int("epochs", 10, 60),
                   lr=trial.suggest_float("lr", 1e-4, 1e-2, log=True),
                   batch_size=trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
                   weight_decay=trial.suggest_float("weight_decay", 1e-5, 0.3, log=True),
                   l1=trial.suggest_float("l1", 1e-3, 1.0, log=True),
                   dropout=trial.suggest_float("dropout", 0.0, 0.6))


def tune(kind: str, task: str, x: np.ndarray, y: np.ndarray, *, trials: int = 20, timeout: float | None = None,
         storage: str | Path | None = None, study_name: str | None = None, seed: int = 0,
         base: Hyper | None = None) -> tuple[Hyper, dict]:
    """Best hyperparameters for `kind` on (x, y) and a summary of the study.

    `storage`: a path to a SQLite file (default) or any Optuna storage URL; None keeps the study
    in memory. A study of the same name in the same storage is resumed: only the trials still
    missing from `trials` are run."""
    import optuna
    from sklearn.model_selection import train_test_split

    if trials < 1:
        raise ParameterError(f"trials must be at least 1, got {trials}")
    base = base or Hyper()
    strat = y if task == "classification" and np.unique(y, return_counts=True)[1].min() >= 2 else None
    tr, va = train_test_split(np.arange(len(y)), test_size=0.2, random_state=seed, stratify=strat)
    url = None
    if storage is not None:
        url = str(storage) if "://" in str(storage) else f"sqlite:///{Path(storage).resolve()}"
        if "://" not in str(storage):
            Path(storage).parent.mkdir(parents=True, exist_ok=True)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name or f"{kind}-{task}-seed{seed}", storage=url,
                                load_if_exists=True, direction="maximize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    done = sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)

    def objective(trial):
        hyper = suggest(trial, base)
        model = NeuralModel(kind, task, hyper, seed).fit(x[tr], y[tr])
        return primary_score(task, y[va], model, x[va])

    if trials > done:
        study.optimize(objective, n_trials=trials - done, timeout=timeout)
    best = replace(base, **study.best_params)
    return best, {"trials": len(study.trials), "best_value": study.best_value, "best": asdict(best),
                  "storage": url, "study": study.study_name}
