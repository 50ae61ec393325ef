"""Running the command line in tests: `invoke` a command as a user would, and check what it `says`."""
from __future__ import annotations

import re

from typer.testing import CliRunner

from ivanalysis.cli import app


def invoke(*args):
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    # only typer.Exit (SystemExit) may end a command: any other exception would be a bug shown as a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def says(result, *words):
    """Each of `words` is in the output, whitespace aside (rich wraps lines at the console's width)."""
    out = squash(result.output)
    for word in words:
        assert squash(word) in out, f"{word!r} not in:\n{result.output}"
