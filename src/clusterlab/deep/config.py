"""Run configurations for deep clustering: YAML files, command-line overrides, validation.

A config has four parts:

    method: atc                       # a name of deep.methods.METHODS
    data: {source: images/usps, split: null, eval_split: null, max_samples: null, label: null}
    model: {net: conv_res, latent: 10, n_clusters: 10, pretrain_epochs: 50, ...}   # method options
    run: {seed: 0, device: cpu, out: runs/deep, name: null}

Overrides are `KEY=VALUE` with dotted keys (`model.pretrain_epochs=5`); values are read as YAML
(`model.net_options={depth: 6}` works). Unknown keys are errors that name the allowed ones.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from ..errors import DataError, NotFoundError, ParameterError

DEFAULTS = {
    "method": "atc",
    "data": {"source": "images/usps", "split": None, "eval_split": None, "max_samples": None, "label": None},
    "model": {},
    "run": {"seed": 0, "device": "cpu", "out": "runs/deep", "name": None},
}
SECTIONS = {"data": set(DEFAULTS["data"]), "run": set(DEFAULTS["run"])}


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> dict:
    config = copy.deepcopy(DEFAULTS)
    if path is not None:
        path = Path(path)
        if not path.exists():
            raise NotFoundError(f"no such config file: {str(path)!r}")
        try:
            loaded = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise DataError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
        if loaded is None:
            raise DataError(f"{path} is empty")
        if not isinstance(loaded, dict):
            raise DataError(f"{path} must hold a mapping (method, data, model, run), not {type(loaded).__name__}")
        _merge(config, loaded, str(path))
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"an override is KEY=VALUE (e.g. model.pretrain_epochs=5), got {item!r}")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        _set(config, key.strip().split("."), value)
    check(config)
    return config


def _merge(base: dict, extra: dict, where: str) -> None:
    for key, value in extra.items():
        if key not in DEFAULTS:
            raise ParameterError(f"{where}: unknown section {key!r}; allowed: {', '.join(DEFAULTS)}")
        if isinstance(DEFAULTS[key], dict):
            if not isinstance(value, dict):
                raise ParameterError(f"{where}: {key} must be a mapping")
            for sub, v in value.items():
                _set(base, [key, sub], v)
        else:
            base[key] = value


def _set(config: dict, keys: list[str], value) -> None:
    head = keys[0]
    if head not in DEFAULTS:
        raise ParameterError(f"unknown key {'.'.join(keys)!r}; top-level keys are: {', '.join(DEFAULTS)}")
    if len(keys) == 1:
        if isinstance(DEFAULTS[head], dict) and not isinstance(value, dict):
            raise ParameterError(f"{head} is a section; set one of its keys, e.g. {head}.KEY=VALUE")
        config[head] = value if not isinstance(value, dict) else {**config[head], **value}
        return
    if head in SECTIONS and keys[1] not in SECTIONS[head]:
        raise ParameterError(f"unknown key {'.'.join(keys)!r}; {head} takes: {', '.join(sorted(SECTIONS[head]))}")
    node = config[head]
    for k in keys[1:-1]:
        node = node.setdefault(k, {})
    node[keys[-1]] = value


def check(config: dict) -> None:
    from .methods import METHODS, options_of

    method = config["method"]
    if method not in METHODS:
        raise ParameterError(f"method {method!r} is not allowed; choose one of: {', '.join(METHODS)}")
    unknown = set(config["model"]) - (options_of(method) - {"seed", "device"})
    if unknown:
        raise ParameterError(f"model.{sorted(unknown)[0]} is not an option of {method}; it takes: "
                             f"{', '.join(sorted(options_of(method) - {'seed', 'device'}))}")
    if not isinstance(config["run"]["seed"], int):
        raise ParameterError(f"run.seed must be an integer, got {config['run']['seed']!r}")
    m = config["data"]["max_samples"]
    if m is not None and (not isinstance(m, int) or m < 2):
        raise ParameterError(f"data.max_samples must be an integer of at least 2, got {m!r}")


def dump(config: dict) -> str:
    return yaml.safe_dump(config, sort_keys=False)
