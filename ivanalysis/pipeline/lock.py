"""One build at a time: a second `ivanalysis build` or `run` refuses rather than corrupting the first."""
from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator

from ..errors import ConfigError
from ..paths import build_dir


@contextlib.contextmanager
def build_lock() -> Iterator[None]:
    build_dir().mkdir(parents=True, exist_ok=True)
    path = build_dir() / ".lock"
    fh = open(path, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = fh.read().strip() or "unknown"
        fh.close()
        raise ConfigError(f"another build is running (process {holder}); wait for it to finish") from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()
