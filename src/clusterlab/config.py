"""Typed settings read from the environment.

Only places are configured here (where data lives, where runs go); algorithm parameters live
with the algorithms. Nothing here has a fixed path: the data directory is always a parameter.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import NotFoundError

DATA_DIR_ENV = "CLUSTERLAB_DATA"


def data_dir(explicit: str | os.PathLike | None = None, *, required: bool = True) -> Path | None:
    """The directory holding benchmark data: `explicit`, else $CLUSTERLAB_DATA.

    With `required=False` returns None when neither is set, so callers can list only what
    is built in.
    """
    value = explicit if explicit not in (None, "") else os.environ.get(DATA_DIR_ENV)
    if not value:
        if required:
            raise NotFoundError(
                f"no data directory given: pass --data-dir DIR or set {DATA_DIR_ENV}=DIR "
                "(the folder that holds clustbench/, tabular/ and images/)"
            )
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise NotFoundError(f"data directory {str(path)!r} does not exist or is not a folder")
    return path
