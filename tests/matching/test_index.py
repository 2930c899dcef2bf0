"""OfferIndex: add, update, remove, growth, and search equal to scoring the same arrays directly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.synthetic import random_demand, random_supply, random_tables
from broker.matching import OfferIndex, OfferRecord, offered_slots, rank, score_pairs
from tests.matching.builders import BRAZIL, HIV, IRRIGATION, KENYA, STUDY_TOUR, VIDEO, WORKSHOP, take, unit


def record(offer_id: int, **changes: object) -> OfferRecord:
    values: dict[str, object] = {
        "offer_id": offer_id,
        "institution_id": 100 + offer_id,
        "embedding": unit(1.0, float(offer_id)),
        "sectors": [HIV],
        "country": KENYA,
        "modalities": [STUDY_TOUR],
        "languages": [0],
    }
    return OfferRecord(**{**values, **changes})  # type: ignore[arg-type]


def test_upsert_adds_then_replaces_and_grows_from_capacity_one() -> None:
    index = OfferIndex(dim=8, n_languages=70, sector_width=1, capacity=1)
    for offer_id in range(1, 6):
        index.upsert(record(offer_id))
    index.upsert(
        record(3, sectors=[HIV, IRRIGATION, 7], modalities=[VIDEO, WORKSHOP, STUDY_TOUR], cost_usd=500.0)
    )
    assert len(index) == 5 and 3 in index and 9 not in index
    row = index.position(3)
    supply = index.supply()
    assert supply.sectors[row].tolist() == [HIV, IRRIGATION, 7]
    assert supply.sectors[index.position(1)].tolist() == [HIV, -1, -1]
    assert supply.cost_usd[row] == 500.0 and math.isnan(supply.cost_usd[index.position(1)])
    assert index.ids.tolist() == [1, 2, 3, 4, 5]
    assert index.slots().tolist() == offered_slots(supply.modalities).tolist()
    assert index.slots().shape == (5, 3)


def test_remove_moves_the_last_row_and_shrinks_the_slot_width() -> None:
    index = OfferIndex(dim=8, n_languages=70)
    for offer_id in range(1, 5):
        index.upsert(record(offer_id, modalities=[STUDY_TOUR, VIDEO] if offer_id == 2 else [VIDEO]))
    index.remove(2)
    assert index.ids.tolist() == [1, 4, 3]
    assert index.position(4) == 1
    assert index.slots().shape == (3, 1)
    with pytest.raises(KeyError):
        index.remove(2)
    index.remove(3)  # the last row
    assert index.ids.tolist() == [1, 4] and index.institution_ids.tolist() == [101, 104]


@pytest.mark.parametrize(
    "changes",
    [
        {"modalities": []},
        {"cost_usd": -1.0},
        {"embedding": [1.0, 0.0]},
        {"sectors": [-3]},
        {"languages": [70]},
    ],
)
def test_a_malformed_record_leaves_the_index_unchanged(changes: dict[str, object]) -> None:
    index = OfferIndex(dim=8, n_languages=70)
    index.upsert(record(1))
    with pytest.raises(ValueError):
        index.upsert(record(1, **changes))
    with pytest.raises(ValueError):
        index.upsert(record(2, **changes))
    assert index.ids.tolist() == [1] and index.supply().modalities.tolist() == [1 << STUDY_TOUR]


def test_valid_until_is_kept_for_the_eligibility_mask() -> None:
    index = OfferIndex(dim=8, n_languages=70)
    index.upsert(record(1, valid_until=1_000.0))
    index.upsert(record(2, country=BRAZIL))
    assert index.valid_until.tolist() == [1_000.0, math.inf]


def test_search_after_random_writes_equals_scoring_the_same_arrays() -> None:
    rng = np.random.default_rng(5)
    tables = random_tables(rng)
    corpus = random_supply(rng, 600, tables)
    supply = corpus.supply
    index = OfferIndex(dim=384, n_languages=180, sector_width=1, capacity=8)
    live: dict[int, int] = {}
    for _ in range(1_500):
        k = int(rng.integers(0, 600))
        offer_id = int(corpus.ids[k])
        if offer_id in live and rng.random() < 0.4:
            index.remove(offer_id)
            del live[offer_id]
            continue
        row = int(rng.integers(0, 600))  # (re)write the offer with some row's content
        languages = [c for c in range(180) if int(supply.languages[row, c // 64]) >> (c % 64) & 1]
        index.upsert(
            OfferRecord(
                offer_id=offer_id,
                institution_id=int(corpus.institution_ids[k]),
                embedding=supply.embedding[row],
                sectors=[int(s) for s in supply.sectors[row] if s >= 0],
                country=int(supply.country[row]),
                modalities=[m for m in range(14) if int(supply.modalities[row]) >> m & 1],
                languages=languages,
                cost_usd=None if math.isnan(supply.cost_usd[row]) else float(supply.cost_usd[row]),
            )
        )
        live[offer_id] = row
    assert sorted(index.ids.tolist()) == sorted(live)
    rows = np.array([live[int(offer_id)] for offer_id in index.ids])
    demand = random_demand(rng, 1, tables)
    expected = score_pairs(demand, take(supply, rows), tables)
    result = index.search(demand, tables, limit=8, per_institution=1, approximate=False)  # every row
    assert np.array_equal(result.scored.scores, expected.scores)
    positions = rank(
        expected.scores, ids=index.ids, institution_ids=index.institution_ids, limit=8, per_institution=1
    )
    assert result.positions.tolist() == positions.tolist()
    assert len({m.id for m in result.matches}) == 8


def test_from_supply_builds_the_same_index_as_upserts() -> None:
    rng = np.random.default_rng(9)
    tables = random_tables(rng)
    corpus = random_supply(rng, 300, tables)
    index = OfferIndex.from_supply(
        corpus.supply, ids=corpus.ids, institution_ids=corpus.institution_ids, n_languages=180
    )
    demand = random_demand(rng, 1, tables)
    assert np.array_equal(
        index.search(demand, tables, approximate=False).scored.scores,
        score_pairs(demand, corpus.supply, tables).scores,
    )
    index.upsert(
        record(10**6, embedding=np.ones(384) / np.sqrt(384), sectors=[1, 2, 3, 4, 5])
    )  # widens sectors
    assert index.supply().sectors.shape == (301, 5) and len(index) == 301
    with pytest.raises(ValueError, match="unique"):
        OfferIndex.from_supply(
            corpus.supply,
            ids=np.zeros(300, dtype=np.int64),
            institution_ids=corpus.institution_ids,
            n_languages=180,
        )
