"""What a process that runs many notebooks keeps in memory between them: validated input tables, and a scheme's
national results (the part of its analysis that is the same for every area).

One RunCache is current per process. By default it keeps nothing, so data/ and schemes/ compute the same with or
without one: they only ask it (`current().tables.get(key, compute)`). The pipeline's warm engine installs a real one
in each warm kernel (pipeline/warm.py), where one scheme's runs for England and every hub follow one another.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """At most `size` values by key, the least recently used dropped first; `size` 0 keeps nothing."""

    def __init__(self, size: int = 0) -> None:
        self.size = size
        # key -> (value, the objects whose id() is part of the key: held, so no other object can take that id)
        self._entries: OrderedDict[Hashable, tuple[Any, tuple]] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], T], *, holds: tuple = (),
            hand_out: Callable[[T], T] | None = None) -> T:
        """The value kept under `key`, else `compute()` (kept, if this memo keeps anything).

        A kept value is given through `hand_out` (e.g. a copy), so that a caller who changes what it gets cannot
        change what the next caller gets; a value that is not kept is given as it is."""
        if key in self._entries:
            self._entries.move_to_end(key)
            value = self._entries[key][0]
        else:
            value = compute()
            if self.size <= 0:
                return value
            self._entries[key] = (value, holds)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return hand_out(value) if hand_out is not None else value

    def values(self) -> list:
        return [value for value, _ in self._entries.values()]

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()


@dataclass
class RunCache:
    """The tables part holds validated tables (a scheme's runs share them); the national part, a scheme's national
    results (its runs for every area share them); the hubs part, a scheme's results for every hub (each hub's run
    needs them all to know whether its opportunity is withheld: page/withholding.py)."""

    tables: Memo = field(default_factory=Memo)
    national: Memo = field(default_factory=Memo)
    hubs: Memo = field(default_factory=Memo)

    @classmethod
    def keeping(cls, tables: int, national: int = 1, hubs: int = 1) -> RunCache:
        return cls(Memo(tables), Memo(national), Memo(hubs))

    def clear(self) -> None:
        """Keep nothing of what was kept (a warm kernel moving on to another scheme); keep keeping as much."""
        for part in (self.tables, self.national, self.hubs):
            part.clear()


_current = RunCache()  # keeps nothing


def current() -> RunCache:
    return _current


def install(cache: RunCache | None) -> RunCache:
    """Make `cache` the process's cache (None: one that keeps nothing); returns the one it replaces."""
    global _current
    previous, _current = _current, cache or RunCache()
    return previous
