"""Writing files so that a kill never leaves half of one: everything is written beside its
target and then renamed over it (a rename within one folder is atomic). Output places are
checked before the work that fills them, and a folder of several files holds one run, marked
by a manifest written last."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import DataError, ParameterError


def temporary_beside(path: Path) -> Path:
    """A hidden name beside `path` with the same suffix (writers such as np.savez add one)."""
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")


def write_atomic(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, then move it over `path`. On any
    error the temporary file is removed and `path` is left as it was."""
    path = Path(path)
    tmp = temporary_beside(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        tmp.replace(path)
    except OSError as exc:
        raise DataError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json_atomic(path: str | Path, data, indent: int | None = 2) -> Path:
    return write_text_atomic(path, json.dumps(data, indent=indent, default=json_default))


def json_default(value):
    """numpy scalars and arrays as plain JSON; anything else as its text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_writable_place(folder: Path, path: Path, what: str) -> None:
    """`folder` (where `path` will be written, made where missing) can be made and written."""
    base = _nearest_existing(folder)
    if not base.is_dir():
        raise ParameterError(f"cannot write the {what} {path}: {base} is a file, not a folder")
    if not os.access(base, os.W_OK | os.X_OK):
        raise ParameterError(f"cannot write the {what} {path}: {base} is not writable by this user; "
                             "choose another place with -o")


def check_output_folder(path: str | Path, what: str = "output folder") -> Path:
    """Refuse, before any work, an output folder that cannot be made or written."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ParameterError(f"the {what} {path} is an existing file; give a folder (-o)")
    _check_writable_place(path, path, what)
    return path


def check_output_file(path: str | Path, what: str = "output file") -> Path:
    """Refuse, before any work, an output file that is a folder or cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise ParameterError(f"the {what} {path} is an existing folder; give a file name (-o)")
    if path.exists() and not os.access(path, os.W_OK):
        raise ParameterError(f"cannot write the {what} {path}: it is not writable by this user")
    _check_writable_place(path.parent, path, what)  # the new file is renamed into this folder
    return path


MANIFEST = "clusterlab-run.json"


def write_run_folder(folder: str | Path, writers: dict[str, Callable[[Path], object]], owned: tuple[str, ...],
                     info: dict | None = None) -> dict[str, Path]:
    """Write one run's files into `folder` so that it always holds one whole run or says it
    is incomplete. Every file is first written into a hidden staging folder inside `folder`;
    then the manifest of the previous run goes (the folder is now marked incomplete), the new
    files move in, files of `owned` names that this run did not write are removed (an old
    report beside new labels would mix runs), and a new manifest naming every file with its
    size and SHA-256 is written last. Readers check it with `read_run_folder`. Files that are
    not ours (not in `owned`) are never touched."""
    import hashlib
    import shutil

    folder = check_output_folder(folder)
    staging = folder / f".partial-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
    except OSError as exc:
        raise DataError(f"cannot write into {folder}: {exc.strerror or exc}") from None
    try:
        for name, write in writers.items():
            write(staging / name)
        files = {name: {"bytes": (staging / name).stat().st_size,
                        "sha256": hashlib.sha256((staging / name).read_bytes()).hexdigest()} for name in writers}
        (folder / MANIFEST).unlink(missing_ok=True)
        for name in writers:
            os.replace(staging / name, folder / name)
        for name in owned:
            if name not in writers:
                (folder / name).unlink(missing_ok=True)
        write_json_atomic(folder / MANIFEST, {**(info or {}), "files": files})
    except OSError as exc:  # the disk filled, or the folder went away: the manifest is not there
        raise DataError(f"cannot write into {folder}: {exc.strerror or exc}; the folder is marked incomplete") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {name: folder / name for name in writers}


def read_run_folder(folder: str | Path) -> dict:
    """The manifest of a run folder, after checking that every file it names is there, whole;
    a folder without one (never finished, or interrupted while writing) is a DataError."""
    import hashlib

    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise DataError(f"{folder} holds no finished run ({MANIFEST} is missing: the run that wrote it was "
                        "interrupted, or it is not an output folder of clusterlab); run it again")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        for name, facts in files.items():
            data = (folder / name).read_bytes()
            if len(data) != facts["bytes"] or hashlib.sha256(data).hexdigest() != facts["sha256"]:
                raise DataError(f"{folder / name} is not the file this run wrote (changed or truncated since); "
                                "run it again")
    except (OSError, KeyError, TypeError, AttributeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{folder} holds an incomplete or damaged run ({type(exc).__name__}: {exc}); "
                        "run it again") from None
    return manifest
