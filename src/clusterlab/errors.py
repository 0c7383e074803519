"""The package's one family of errors.

Every problem a user can fix (bad input, bad parameter, missing file) raises a subclass of
`ClusterlabError` whose message says what is wrong and how to fix it. The command line prints
that message as one line and exits non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class ClusterlabError(Exception):
    """Base class: a problem the user can fix, described in one line."""

    exit_code = 2


class DataError(ClusterlabError, ValueError):
    """The input data cannot be used as it is (empty, non-finite, wrong type, ...)."""


class ParameterError(ClusterlabError, ValueError):
    """A parameter is outside its allowed values."""


class NotFoundError(ClusterlabError, FileNotFoundError):
    """A file, dataset or algorithm name does not exist."""


class TooLargeError(ClusterlabError, MemoryError):
    """The request would exhaust memory or time; the message names a scalable alternative."""
