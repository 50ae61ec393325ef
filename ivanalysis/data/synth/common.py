"""Shared pieces of the synthetic generators: seeded random streams, provider sizes, dates and identifiers.

Everything is drawn from numpy Generators seeded from (seed, table name), so each table is reproducible on its
own and adding a table never changes another one.

Null data (`ivanalysis synth --null`): the same tables with no true differences between providers or areas. Each
generator draws its units' effects (propensities, levels, leanings) as always and passes them through
`differences(drawn, england)`, which gives them back unchanged, or, while `null_data` is on, England's value for
every unit. The draws are still made, so the random streams, the volumes and each unit's size stay as they are: only
the differences go. A benchmark's gap on such data is chance alone (the null test of counting beyond chance).
"""
from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

import numpy as np
import pandas as pd

from ...geography import Geography

DATA_START = pd.Timestamp("2015-04-01")  # three financial years: 2015/16, 2016/17, 2017/18
DATA_END = pd.Timestamp("2018-03-31")
YEARS = ("2015/16", "2016/17", "2017/18")
_NULL = ContextVar("ivanalysis_synth_null", default=False)
T = TypeVar("T")


@contextmanager
def null_data(on: bool = True) -> Iterator[None]:
    """Within this block the generators make null data (no true differences between providers or areas) if `on`."""
    token = _NULL.set(bool(on))
    try:
        yield
    finally:
        _NULL.reset(token)


def is_null() -> bool:
    """True while null data are being generated (see `null_data`)."""
    return _NULL.get()


def differences(drawn: T, england: float) -> T:
    """Units' own values as drawn, or, in null data, `england` for every unit (same type and index as `drawn`)."""
    if not _NULL.get():
        return drawn
    if isinstance(drawn, pd.Series):
        return pd.Series(float(england), index=drawn.index, name=drawn.name)
    if isinstance(drawn, dict):
        return dict.fromkeys(drawn, england)
    if np.ndim(drawn) == 0:
        return england
    return np.full(np.shape(drawn), england, dtype=float)


def rng_for(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def provider_sizes(geo: Geography, seed: int) -> pd.Series:
    """A relative size per provider: hubs in proportion to population, providers lognormal within their hub."""
    rng = rng_for(seed, "provider_sizes")
    sizes = {}
    for hub in geo.hubs():
        w = rng.lognormal(0.0, 0.5, size=len(hub.providers))
        w = w / w.sum() * hub.population
        sizes.update(dict(zip(hub.providers, w)))
    s = pd.Series(sizes)
    return s / s.sum()


def service_providers(geo: Geography, sizes: pd.Series, n_centres: int) -> pd.Series:
    """The largest providers, at least one per hub, that offer a service held in few centres (e.g. radiotherapy)."""
    chosen: list[str] = []
    for hub in geo.hubs():
        k = max(1, round(n_centres * hub.population / geo.england.population))
        chosen += list(sizes[list(hub.providers)].sort_values(ascending=False).index[:k])
    w = sizes[chosen]
    return w / w.sum()


def year_index(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """0, 1, 2 for the financial years 2015/16, 2016/17, 2017/18."""
    d = pd.DatetimeIndex(dates)
    fy = np.where(d.month >= 4, d.year, d.year - 1)
    return fy - DATA_START.year


def random_dates(rng: np.random.Generator, n: int, start: pd.Timestamp = DATA_START,
                 end: pd.Timestamp = DATA_END) -> pd.DatetimeIndex:
    days = (end - start).days + 1
    return pd.DatetimeIndex(start + pd.to_timedelta(rng.integers(0, days, size=n), unit="D"))


def nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unique, valid-looking NHS numbers from the 999 range that NHS England reserves for testing (never issued)."""
    tails = rng.permutation(1_000_000)  # 999 + six digits: about 909,000 of them have a valid check digit
    digits = np.stack([np.full_like(tails, 9), np.full_like(tails, 9), np.full_like(tails, 9)]
                      + [(tails // 10 ** k) % 10 for k in range(5, -1, -1)], axis=1)
    check = 11 - (digits @ np.arange(10, 1, -1)) % 11
    check[check == 11] = 0
    valid = check != 10
    if valid.sum() < n:
        raise ValueError(f"the NHS number test range holds {valid.sum()} valid numbers, {n} were asked for")
    base = (999_000_000 + tails[valid][:n]) * 10 + check[valid][:n]
    return base.astype(str)


def choose(rng: np.random.Generator, weights: pd.Series, n: int) -> np.ndarray:
    """n draws of an index label of `weights`, with those probabilities."""
    return rng.choice(weights.index.to_numpy(), size=n, p=(weights / weights.sum()).to_numpy())


def calibrated_propensities(rng: np.random.Generator, weights: pd.Series, target: float, spread: float) -> pd.Series:
    """Per-unit probabilities that vary (logit-normal, sd `spread`) yet average `target` over the weights (in null
    data every unit's is `target`)."""
    u = differences(pd.Series(rng.normal(0.0, spread, size=len(weights)), index=weights.index), 0.0)
    w = weights / weights.sum()
    lo, hi = -10.0, 10.0
    for _ in range(60):  # bisection on the common logit offset
        mid = (lo + hi) / 2
        mean = float((w / (1 + np.exp(-(mid + u)))).sum())
        lo, hi = (mid, hi) if mean < target else (lo, mid)
    return 1 / (1 + np.exp(-((lo + hi) / 2 + u)))


def sequential_ids(prefix: str, n: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), 8))
