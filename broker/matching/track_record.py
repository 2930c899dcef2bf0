"""The track-record factor: what receivers reported about a provider's completed exchanges.

A provider's record is read per sector group: the completed exchanges whose offer lies in the group,
the receivers' reports on them (a rating 1-5, the mean of relevance and usefulness, and whether the
report names a capacity outcome reached) and the same counts over every topic. For a pair, the
exchanges *on the request's topic* (its first sector's group) count in full and the provider's others
with ``TrackRecordParams.elsewhere`` (half by default). Three rates, each shrunk towards the prior
``p`` with ``k`` pseudo-observations, so a few reports cannot dominate:

    rating   = (sum of receiver ratings mapped 1..5 -> 0..1 + k p) / (reports + k)
    outcomes = (reports naming an outcome reached + k p) / (reports + k)
    delivery = (completed exchanges + k p) / (completed exchanges + k)
    value    = 0.5 rating + 0.25 outcomes + 0.25 delivery                       in [0, 1]

With no record every rate is exactly ``p``, so the value is exactly ``NEUTRAL = p``. The score
counts the factor relative to that neutral value (``w (value - p)``, see ``score_pairs``), so an
offer without a record scores exactly what it scores without the factor: no record is neutral, not a
penalty. One exchange moves each rate, and hence the value, by at most ``max(p, 1 - p) / (1 + k)``
(0.1 with the defaults). Each rate is non-decreasing in completed exchanges, in the sum of ratings
and in outcomes reached, so a better record never lowers the value or the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import FloatArray, IntArray
from broker.matching.tables import SectorTables

# Columns of the per-provider statistics, in ``TrackRecordTable.stats`` order.
STATS: tuple[str, ...] = ("completed", "rated", "rating_sum", "outcomes")
COMPLETED, RATED, RATING_SUM, OUTCOMES = range(len(STATS))


@dataclass(frozen=True)
class TrackRecordParams:
    """Shrinkage of the track-record factor.

    Attributes:
        prior: The value of a provider with no record (``p``, in (0, 1)); also the neutral value.
        pseudo_count: Pseudo-observations ``k`` > 0 of the prior behind every rate.
        elsewhere: Weight in [0, 1] of an exchange on another topic than the request's.
        rating_share: Share of the rating in the value; outcomes and delivery share the rest equally.
    """

    prior: float = 0.5
    pseudo_count: float = 4.0
    elsewhere: float = 0.5
    rating_share: float = 0.5

    def __post_init__(self) -> None:
        if not (0 < self.prior < 1 and self.pseudo_count > 0 and 0 <= self.elsewhere <= 1):
            raise ValueError(f"invalid track-record parameters: {self}")
        if not 0 <= self.rating_share <= 1:
            raise ValueError("rating_share must lie in [0, 1]")

    @property
    def max_step(self) -> float:
        """The most one completed exchange (with or without a report) can move the value."""
        return max(self.prior, 1 - self.prior) / (1 + self.pseudo_count)


NEUTRAL = TrackRecordParams().prior


@dataclass(frozen=True, eq=False)
class TrackRecordTable:
    """Providers' records by sector group, as the codebook builds them from the exchanges.

    Attributes:
        provider_ids: (p,) int64 institution ids of the providers with a record, ascending.
        stats: (p, g + 1, 4) float64 counts in ``STATS`` order per provider and sector group; column
            ``g`` (the last) holds the provider's totals over every topic (an exchange whose offer
            lies in two groups counts once there). ``rating_sum`` sums receiver ratings on 1..5.
    """

    provider_ids: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stats: FloatArray = field(default_factory=lambda: np.zeros((0, 1, len(STATS))))

    def __post_init__(self) -> None:
        ids = np.ascontiguousarray(self.provider_ids, dtype=np.int64)
        stats = np.ascontiguousarray(self.stats, dtype=np.float64)
        if stats.ndim != 3 or stats.shape[0] != len(ids) or stats.shape[2] != len(STATS):
            raise ValueError(f"stats shape {stats.shape} does not fit {len(ids)} providers")
        if len(ids) > 1 and np.any(np.diff(ids) <= 0):
            raise ValueError("provider_ids must be strictly ascending")
        object.__setattr__(self, "provider_ids", ids)
        object.__setattr__(self, "stats", stats)

    def __len__(self) -> int:
        return len(self.provider_ids)


@dataclass(frozen=True, slots=True, eq=False)
class PairRecords:
    """The provider's record as each pair sees it: (n, 4) counts on the request's topic and overall."""

    topic: FloatArray
    overall: FloatArray

    @classmethod
    def none(cls, n: int) -> PairRecords:
        """n pairs without any record."""
        return cls(np.zeros((n, len(STATS))), np.zeros((n, len(STATS))))

    def __len__(self) -> int:
        return len(self.topic)


def topic_groups(sectors: IntArray, tables: SectorTables) -> NDArray[np.intp]:
    """The topic of each request: the sector group of its first sector.

    Args:
        sectors: (n, k) intp sector indexes padded with -1 (``DemandArrays.sectors``).
        tables: The sector hierarchy.

    Returns:
        (n,) intp group index, -1 when the request has no sector (or it has no group).
    """
    first = sectors[:, 0] if sectors.shape[1] else np.full(len(sectors), -1, dtype=np.intp)
    groups = np.where(first >= 0, tables.group_of[np.maximum(first, 0)], -1)
    return groups.astype(np.intp)


def pair_records(
    table: TrackRecordTable, provider_ids: NDArray[np.integer], groups: NDArray[np.integer]
) -> PairRecords:
    """Look up each pair's provider record on the pair's topic and overall.

    Args:
        table: The providers' records.
        provider_ids: (n,) or (1,) institution id of each pair's provider.
        groups: (n,) or (1,) topic group of each pair's request (``topic_groups``), -1 none.

    Returns:
        The records of the n = max(len) pairs; zeros for a provider without a record.
    """
    n = max(len(provider_ids), len(groups))
    if len(table) == 0 or n == 0:
        return PairRecords.none(n)
    ids = np.broadcast_to(np.asarray(provider_ids, dtype=np.int64), (n,))
    topic = np.broadcast_to(np.asarray(groups, dtype=np.intp), (n,))
    at = np.minimum(np.searchsorted(table.provider_ids, ids), len(table) - 1)
    known = table.provider_ids[at] == ids
    n_groups = table.stats.shape[1] - 1
    on_topic = known & (topic >= 0) & (topic < n_groups)
    overall = np.where(known[:, None], table.stats[at, n_groups], 0.0)
    by_topic = np.where(on_topic[:, None], table.stats[at, np.clip(topic, 0, n_groups)], 0.0)
    return PairRecords(by_topic, overall)


def track_record_fit(records: PairRecords, params: TrackRecordParams | None = None) -> FloatArray:
    """The track-record factor of each pair (formula in the module docstring).

    Args:
        records: Each pair's counts on its topic and overall.
        params: Shrinkage (default ``TrackRecordParams()``).

    Returns:
        (n,) float64 in [0, 1]; exactly ``params.prior`` for a pair whose provider has no record.
    """
    params = params or TrackRecordParams()
    elsewhere = records.overall - records.topic
    counts = records.topic + params.elsewhere * elsewhere
    completed, rated = counts[:, COMPLETED], counts[:, RATED]
    mapped_sum = (counts[:, RATING_SUM] - rated) / 4.0  # ratings 1..5 -> 0..1
    k, p = params.pseudo_count, params.prior
    rating = (mapped_sum + k * p) / (rated + k)
    outcomes = (counts[:, OUTCOMES] + k * p) / (rated + k)
    delivery = (completed + k * p) / (completed + k)
    rest = (1.0 - params.rating_share) / 2
    value = np.clip(params.rating_share * rating + rest * (outcomes + delivery), 0.0, 1.0)
    # exactly the prior without a record, whatever the rounding of the formula
    neutral: FloatArray = np.where(counts.any(axis=1), value, p)
    return neutral


def mean_rating(counts: FloatArray) -> FloatArray:
    """Mean receiver rating on 1..5 of (n, 4) counts; NaN where nothing was rated."""
    rated = counts[:, RATED]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: FloatArray = np.where(rated > 0, counts[:, RATING_SUM] / np.maximum(rated, 1e-300), np.nan)
    return mean
