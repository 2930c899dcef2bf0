"""Random but realistically shaped matching inputs, for the benchmarks and the tests.

Cardinalities follow the reference lists: about 250 countries in 5 regions, 17 sub-regions and a few
intermediate regions; about 295 DAC sectors in ~45 categories and ~12 groups; 14 modalities; about 180
languages with a skewed popularity (a few are very common, as English, French and Spanish are).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import (
    N_MODALITIES,
    DemandArrays,
    SupplyArrays,
    language_words,
    modality_masks,
)
from broker.matching.tables import CountryTables, MatchTables, ModalityTables, SectorTables

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Corpus:
    """Synthetic offers with their ids and institutions."""

    supply: SupplyArrays
    ids: NDArray[np.int64]
    institution_ids: NDArray[np.int64]


def random_tables(rng: np.random.Generator, n_countries: int = 250, n_sectors: int = 295) -> MatchTables:
    """Lookup tables with the reference lists' shapes (values are random)."""
    group_of_category = rng.integers(0, 12, size=45)
    category_of = np.sort(rng.integers(0, 45, size=n_sectors))
    sectors = SectorTables(category_of=category_of, group_of=group_of_category[category_of])
    subregion_of = rng.integers(0, 17, size=n_countries)
    region_of_sub = rng.integers(0, 5, size=17)
    intermediate_of_sub = np.where(np.arange(17) < 4, np.arange(17), -1)  # 4 sub-regions are split
    intermediate_of = np.where(
        intermediate_of_sub[subregion_of] >= 0,
        intermediate_of_sub[subregion_of] * 3 + rng.integers(0, 3, size=n_countries),
        -1,
    )
    income_of = np.where(rng.random(n_countries) < 0.05, -1, rng.integers(0, 4, size=n_countries))
    lat = np.radians(rng.uniform(-50, 65, size=n_countries))
    lon = np.radians(rng.uniform(-180, 180, size=n_countries))
    h = (
        np.sin((lat[:, None] - lat[None, :]) / 2) ** 2
        + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2
    )
    distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    countries = CountryTables(
        region_of=region_of_sub[subregion_of],
        subregion_of=subregion_of,
        intermediate_of=intermediate_of,
        income_of=income_of,
        distance_km=(distance + distance.T) / 2,
    )
    related = np.where(rng.random((N_MODALITIES, N_MODALITIES)) < 0.35, rng.uniform(0.2, 0.8, (14, 14)), 0.0)
    travellers = rng.integers(0, 3, size=N_MODALITIES)
    modalities = ModalityTables(
        relatedness=np.round(related, 2),
        fixed_usd=rng.uniform(500, 15_000, N_MODALITIES).round(-2),
        per_participant_usd=rng.uniform(0, 600, N_MODALITIES).round(-1),
        per_traveller_per_day_usd=np.where(travellers > 0, rng.uniform(150, 350, N_MODALITIES), 0).round(),
        typical_days=rng.integers(1, 15, N_MODALITIES),
        typical_group_size=rng.integers(2, 30, N_MODALITIES),
        travellers=travellers,
        experts=np.where(travellers == 2, rng.integers(1, 4, N_MODALITIES), 0),
        interpretation_per_day_usd=rng.choice([0.0, 800.0, 1_500.0], N_MODALITIES),
    )
    return MatchTables(sectors=sectors, countries=countries, modalities=modalities)


def _unit_rows(rng: np.random.Generator, n: int, dim: int, dtype: type[np.floating]) -> NDArray[np.floating]:
    rows = rng.standard_normal((n, dim)).astype(dtype)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


@dataclass(frozen=True)
class TopicSpace:
    """Shape of sentence-embedding-like unit vectors: a direction shared by all texts, a topic in a
    low-rank subspace and isotropic noise, with squared norms ``common``, ``topic`` and the rest.

    The defaults put the cosines of unrelated texts near 0.77 and of the closest offers to a request
    near 0.85-0.9, as the default 896-d encoder does (real cosines cluster in 0.72-0.90).
    """

    dim: int = 896
    rank: int = 48
    common: float = 0.76
    topic: float = 0.14
    seed: int = 7

    def rows(self, rng: np.random.Generator, n: int, chunk: int = 65_536) -> NDArray[np.float32]:
        """(n, dim) float32 unit rows, generated in chunks (a million rows never exist in float64)."""
        basis_rng = np.random.default_rng(self.seed)  # the same space for offers and requests
        common = _unit_rows(basis_rng, 1, self.dim, np.float32)[0]
        topics = np.linalg.qr(basis_rng.standard_normal((self.dim, self.rank)))[0].T.astype(np.float32)
        out = np.empty((n, self.dim), dtype=np.float32)
        noise = np.float32(np.sqrt((1.0 - self.common - self.topic) / self.dim))  # E|noise|^2 = 1 - ...
        for start in range(0, n, chunk):
            rows = out[start : start + chunk]
            rows[:] = rng.standard_normal(rows.shape, dtype=np.float32)
            rows *= noise
            rows += (np.sqrt(self.topic) * _unit_rows(rng, len(rows), self.rank, np.float32)) @ topics
            rows += np.sqrt(self.common) * common
            rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        return out


def _code_sets(
    rng: np.random.Generator, n: int, n_codes: int, low: int, high: int, skew: float
) -> NDArray[np.int32]:
    """(n, high) codes padded with -1; each row has low..high distinct codes, popularity ~ rank**-skew."""
    weights = np.arange(1, n_codes + 1, dtype=np.float64) ** -skew
    codes = np.empty((n, high), dtype=np.int32)
    for start in range(0, n, 65_536):  # in chunks: the keys of a million rows would take gigabytes
        keys = rng.random((min(65_536, n - start), n_codes)) ** (1.0 / weights)  # weighted, no replacement
        if high < n_codes:
            top = np.argpartition(-keys, high - 1, axis=1)[:, :high]
        else:
            top = np.argsort(-keys, axis=1)
        order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1)
        codes[start : start + len(keys)] = np.take_along_axis(top, order, axis=1)[:, :high]
    counts = rng.integers(low, high + 1, size=n)
    codes[np.arange(high)[None, :] >= counts[:, None]] = -1
    return codes


def _language_bits(codes: NDArray[np.int32], n_languages: int) -> NDArray[np.uint64]:
    bits = np.zeros((len(codes), language_words(n_languages)), dtype=np.uint64)
    for column in codes.T:
        known = column >= 0
        words = column[known] // 64
        np.bitwise_or.at(
            bits,
            (np.flatnonzero(known), words),
            np.left_shift(np.uint64(1), (column[known] % 64).astype(np.uint64)),
        )
    return bits


def _modality_sets(rng: np.random.Generator, n: int, low: int, high: int) -> NDArray[np.uint16]:
    codes = _code_sets(rng, n, N_MODALITIES, low, high, skew=0.5)
    selected = np.zeros((n, N_MODALITIES), dtype=bool)
    for column in codes.T:
        known = column >= 0
        selected[np.flatnonzero(known), column[known]] = True
    return modality_masks(selected)


def random_supply(
    rng: np.random.Generator,
    n: int,
    tables: MatchTables,
    *,
    dim: int = 384,
    n_languages: int = 180,
    dtype: type[np.floating] = np.float32,
    stated_cost_share: float = 0.25,
    space: TopicSpace | None = None,
) -> Corpus:
    """n offers from about n / 4 institutions; a quarter state their own cost.

    Embeddings are isotropic random unit vectors, or drawn from ``space`` when given (float32).
    """
    n_countries = tables.countries.n_countries
    supply = SupplyArrays(
        embedding=_unit_rows(rng, n, dim, dtype) if space is None else space.rows(rng, n),
        sectors=_code_sets(rng, n, tables.sectors.n_sectors, 1, 3, skew=0.8),
        country=rng.integers(0, n_countries, size=n),
        modalities=_modality_sets(rng, n, 1, 3),
        languages=_language_bits(_code_sets(rng, n, n_languages, 1, 3, skew=1.2), n_languages),
        cost_usd=np.where(rng.random(n) < stated_cost_share, rng.uniform(0, 60_000, n).round(-2), np.nan),
    )
    supply.validate()
    ids = rng.permutation(n).astype(np.int64) + 1
    institutions = rng.integers(1, max(2, n // 4), size=n).astype(np.int64)
    return Corpus(supply=supply, ids=ids, institution_ids=institutions)


def random_demand(
    rng: np.random.Generator,
    n: int,
    tables: MatchTables,
    *,
    dim: int = 384,
    n_languages: int = 180,
    dtype: type[np.floating] = np.float32,
    space: TopicSpace | None = None,
) -> DemandArrays:
    """n requests; some without sectors, modality preference, budget or participant count."""
    return DemandArrays(
        embedding=_unit_rows(rng, n, dim, dtype) if space is None else space.rows(rng, n),
        sectors=_code_sets(rng, n, tables.sectors.n_sectors, 0, 2, skew=0.8),
        country=np.where(rng.random(n) < 0.05, -1, rng.integers(0, tables.countries.n_countries, size=n)),
        modalities=_modality_sets(rng, n, 0, 3),
        languages=_language_bits(_code_sets(rng, n, n_languages, 1, 3, skew=1.2), n_languages),
        budget_usd=np.where(rng.random(n) < 0.7, rng.uniform(2_000, 80_000, n).round(-2), np.nan),
        participants=np.where(rng.random(n) < 0.5, rng.integers(1, 40, n).astype(np.float64), np.nan),
    )
