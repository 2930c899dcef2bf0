"""Index snapshots: a round trip searches alike, and writes after loading work without touching the files."""

from __future__ import annotations

import hashlib
import mmap
from pathlib import Path

import numpy as np
import pytest

from benchmarks.synthetic import TopicSpace, random_demand, random_supply, random_tables
from broker.matching import OfferIndex, OfferRecord
from broker.matching.prefilter import PrefilterParams

N_LANGUAGES = 40
SPACE = TopicSpace(dim=16, rank=4)


def build(n: int, threshold: int) -> tuple[OfferIndex, np.random.Generator]:
    rng = np.random.default_rng(11)
    tables = random_tables(rng, n_countries=30, n_sectors=40)
    offers = random_supply(rng, n, tables, n_languages=N_LANGUAGES, space=SPACE)
    index = OfferIndex.from_supply(
        offers.supply, ids=offers.ids, institution_ids=offers.institution_ids, n_languages=N_LANGUAGES,
        valid_until=rng.uniform(0, 10, n),
        prefilter=PrefilterParams(threshold=threshold, dims=6, pool=16, pool_at=0),
    )  # fmt: skip
    return index, rng


def results(index: OfferIndex, seed: int = 2) -> list[list[tuple[int, float]]]:
    rng = np.random.default_rng(seed)
    tables = random_tables(np.random.default_rng(11), n_countries=30, n_sectors=40)
    out = []
    for _ in range(5):
        demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=SPACE)
        result = index.search(demand, tables, eligible=index.valid_until > 3, limit=6, per_institution=1)
        out.append([(m.id, m.score) for m in result.matches])
    return out


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def record(offer_id: int, embedding: np.ndarray) -> OfferRecord:
    return OfferRecord(
        offer_id=offer_id, institution_id=7, embedding=embedding, sectors=[1, 2], country=3,
        modalities=[0, 5], languages=[0, 1], cost_usd=100.0, valid_until=9.0,
    )  # fmt: skip


@pytest.mark.parametrize("use_mmap", [True, False])
@pytest.mark.parametrize("threshold", [1, 10_000])  # first pass on (codes stored) and off
def test_a_loaded_snapshot_searches_like_the_original(tmp_path: Path, use_mmap: bool, threshold: int) -> None:
    index, _ = build(300, threshold)
    index.save(tmp_path / "snap", metadata={"generation": 41, "stamps": {"5": "2026-01-01"}})
    loaded, metadata = OfferIndex.load(tmp_path / "snap", mmap=use_mmap)
    assert metadata == {"generation": 41, "stamps": {"5": "2026-01-01"}}
    assert len(loaded) == 300 and loaded.ids.tolist() == index.ids.tolist()
    assert np.array_equal(loaded.valid_until, index.valid_until)
    assert np.array_equal(loaded.slots(), index.slots())
    assert isinstance(loaded._rows["embedding"].base, mmap.mmap) == use_mmap
    assert results(loaded) == results(index)


def test_upserts_and_removes_after_loading_work_and_leave_the_files_alone(tmp_path: Path) -> None:
    index, rng = build(300, threshold=1)
    index.save(tmp_path / "snap")
    before = digest(tmp_path / "snap")
    loaded, _ = OfferIndex.load(tmp_path / "snap")
    ids = index.ids.tolist()
    changes: list[tuple[str, int, np.ndarray | None]] = [("remove", ids[0], None), ("remove", ids[150], None)]
    vectors = SPACE.rows(rng, 1500)
    changes += [("upsert", ids[10], vectors[0])]  # replace
    changes += [("upsert", 10_000 + k, vectors[k]) for k in range(1, 1500)]  # past the stored free rows
    for op, offer_id, vector in changes:
        for target in (index, loaded):
            if op == "remove":
                target.remove(offer_id)
            else:
                assert vector is not None
                target.upsert(record(offer_id, vector))
    assert loaded.ids.tolist() == index.ids.tolist() and len(loaded) == 300 - 2 + 1499
    assert results(loaded, seed=5) == results(index, seed=5)
    assert digest(tmp_path / "snap") == before
    again, _ = OfferIndex.load(tmp_path / "snap")  # the snapshot itself is unchanged
    assert len(again) == 300 and ids[0] in again


def test_saving_over_a_snapshot_replaces_it(tmp_path: Path) -> None:
    index, _ = build(50, threshold=1)
    index.save(tmp_path / "snap", metadata={"generation": 1})
    index.remove(int(index.ids[0]))
    index.save(tmp_path / "snap", metadata={"generation": 2})
    loaded, metadata = OfferIndex.load(tmp_path / "snap")
    assert metadata == {"generation": 2} and len(loaded) == 49
    assert not (tmp_path / "snap.writing").exists()


def test_an_empty_index_round_trips(tmp_path: Path) -> None:
    OfferIndex(dim=16, n_languages=N_LANGUAGES).save(tmp_path / "snap")
    loaded, metadata = OfferIndex.load(tmp_path / "snap")
    assert len(loaded) == 0 and metadata == {}
    loaded.upsert(record(1, SPACE.rows(np.random.default_rng(0), 1)[0]))
    assert loaded.ids.tolist() == [1]


def test_loading_with_other_code_dims_is_refused(tmp_path: Path) -> None:
    index, _ = build(20, threshold=1)
    index.save(tmp_path / "snap")
    with pytest.raises(ValueError, match="dims"):
        OfferIndex.load(tmp_path / "snap", prefilter=PrefilterParams(dims=7))


def test_rows_scored_after_loading_are_read_from_the_file_and_writes_from_memory(tmp_path: Path) -> None:
    index, rng = build(300, threshold=1)
    index.save(tmp_path / "snap")
    loaded, _ = OfferIndex.load(tmp_path / "snap")
    assert loaded._embedding_file is not None  # the float32 rows come by pread, not through the map
    every = np.arange(300, dtype=np.intp)
    assert np.array_equal(loaded.embeddings_of(every), index.embeddings_of(every))
    ids = index.ids.tolist()
    vectors = SPACE.rows(rng, 20)
    for target in (index, loaded):  # within the stored free rows: the map takes the writes
        target.remove(ids[3])  # the last row moves into row 3
        target.upsert(record(ids[40], vectors[0]))  # replaced in place
        for k in range(1, 20):
            target.upsert(record(50_000 + k, vectors[k]))  # appended
    assert loaded._embedding_file is not None and len(loaded) == 318
    rows = np.array([0, 3, 40, 41, 299, 300, 317], dtype=np.intp)
    assert np.array_equal(loaded.embeddings_of(rows), index.embeddings_of(rows))
    assert results(loaded, seed=9) == results(index, seed=9)


def test_runs_of_rows_are_read_whole_and_a_row_set_of_any_shape_round_trips(tmp_path: Path) -> None:
    index, _ = build(300, threshold=1)
    index.save(tmp_path / "snap")
    loaded, _ = OfferIndex.load(tmp_path / "snap")
    assert loaded._embedding_file is not None
    for rows in ([], [0], [299], [5, 6, 7, 20, 21, 299], list(range(0, 300, 2))):
        picked = np.array(rows, dtype=np.intp)
        assert np.array_equal(loaded._embedding_file.read(picked), index.embeddings_of(picked))


def test_a_snapshot_of_an_older_format_is_refused(tmp_path: Path) -> None:
    index, _ = build(20, threshold=1)
    index.save(tmp_path / "snap")
    manifest = tmp_path / "snap" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"format": 2', '"format": 1'))
    with pytest.raises(ValueError, match="unsupported snapshot format 1"):
        OfferIndex.load(tmp_path / "snap")
