"""Errors a user can act on. The CLI prints their message without a traceback."""
from __future__ import annotations


class IVError(Exception):
    """Base class of the errors that carry a message written for the analyst."""


class ConfigError(IVError):
    """A parameters file, a run parameter or a command-line choice is not valid."""


class DataError(IVError):
    """An input table is missing, unreadable or breaks a rule of its schema.

    The message names the file, the column, the rule and a few offending rows.
    """

    def __init__(self, message: str, *, file: str | None = None, problems: list[dict] | None = None):
        super().__init__(message)
        self.file = file
        self.problems = problems or []


class BookError(IVError):
    """The Jupyter Book build failed (a warning counts as a failure), or its hub packs could not be made."""
