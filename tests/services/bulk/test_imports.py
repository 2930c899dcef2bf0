"""Bulk import: validation reports, all-or-nothing, --partial, idempotent re-import, round trips."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from broker import migrate
from broker.db import make_engine, make_session_factory
from broker.models import Institution, KnowledgeRequest, Offer
from broker.ranking.embedding import HashingEncoder
from broker.services.bulk import demo, exports, formats, imports
from broker.services.bulk.formats import Format
from tests.cli.test_cli import CLI_LIKE

ENCODER = HashingEncoder()
INSTITUTIONS_CSV = """external_id,name,country,kind,languages
inst-a,Agency A,Kenya,government,en;sw
inst-b,Agency B,BR,ngo,pt
"""
OFFERS_CSV = """external_id,institution,title,description,sectors,modalities,cost_usd,sdgs
off-1,inst-a,Health workers,Training and deploying health workers.,12220,study_tour;expert_visit,25000,3
off-2,inst-b,Bad sector,An offer with an unknown sector code.,99999,study_tour,,
off-3,inst-zz,Unknown institution,An offer whose institution does not exist.,12220,workshop,,
off-4,inst-b,Negative cost,An offer with a negative cost of one exchange.,12220,workshop,-5,
"""


def run(session: Session, text: str, fmt: Format, kind: str | None, *, partial: bool = False):  # type: ignore[no-untyped-def]
    records = formats.parse(text, fmt, kind)
    return imports.import_records(
        session, principal=CLI_LIKE, records=records, encoder=ENCODER, partial=partial
    )


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_bad_rows_are_all_reported_and_nothing_is_written(session: Session) -> None:
    run(session, INSTITUTIONS_CSV, Format.csv, "institutions")
    before = count(session, Offer)
    report = run(session, OFFERS_CSV, Format.csv, "offers")
    assert not report.applied and count(session, Offer) == before
    problems = {(p.line, p.field) for p in report.problems}
    assert problems == {(3, "sectors"), (4, "institution"), (5, "cost_usd")}
    sector = next(p for p in report.problems if p.field == "sectors")
    assert "99999" in sector.reason and sector.external_id == "off-2"


def test_partial_imports_the_good_rows(session: Session) -> None:
    run(session, INSTITUTIONS_CSV, Format.csv, "institutions")
    report = run(session, OFFERS_CSV, Format.csv, "offers", partial=True)
    assert report.applied and report.created == {"offers": 1} and len(report.problems) == 3
    offer = session.scalar(select(Offer).where(Offer.external_id == "off-1"))
    assert offer is not None and offer.modalities == ["study_tour", "expert_visit"] and offer.sdgs == [3]
    assert offer.country == "KEN" and offer.languages == ["en", "sw"]  # defaults from the institution


def test_reimport_is_idempotent_and_changes_are_updates(session: Session) -> None:
    first = run(session, INSTITUTIONS_CSV, Format.csv, "institutions")
    assert first.created == {"institutions": 2}
    again = run(session, INSTITUTIONS_CSV, Format.csv, "institutions")
    assert again.unchanged == {"institutions": 2} and not again.created and not again.updated
    changed = run(session, INSTITUTIONS_CSV.replace("Agency B", "Agency Bee"), Format.csv, "institutions")
    assert changed.updated == {"institutions": 1} and changed.unchanged == {"institutions": 1}


def test_duplicate_external_ids_in_one_file_are_reported(session: Session) -> None:
    text = INSTITUTIONS_CSV + "inst-a,Again,Kenya,government,en\n"
    report = run(session, text, Format.csv, "institutions")
    assert [(p.line, p.field) for p in report.problems] == [(4, "external_id")]


def test_ndjson_reports_line_numbers_of_invalid_json(session: Session) -> None:
    text = '{"external_id":"i1","name":"X","country":"PER","kind":"ngo","languages":["es"]}\n\n{broken\n'
    report = run(session, text, Format.ndjson, "institutions")
    assert [(p.line, p.field) for p in report.problems] == [(3, "record")]


def test_demo_corpus_loads_and_round_trips_through_every_format(
    session: Session, engine: Engine, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    report = demo.load_demo(session, principal=CLI_LIKE, encoder=ENCODER)
    assert report.applied and report.created == {"institutions": 154, "offers": 180, "requests": 92}
    assert demo.load_demo(session, principal=CLI_LIKE, encoder=ENCODER).unchanged["offers"] == 180
    for fmt in Format:
        url = f"sqlite:///{tmp_path / f'copy-{fmt}.db'}"
        migrate.upgrade(url)
        copy_engine = make_engine(url)
        with make_session_factory(copy_engine)() as copy:
            for kind in formats.KINDS:
                text = exports.export_records(session, principal=CLI_LIKE, kind=kind, fmt=fmt)
                result = run(copy, text, fmt, kind)
                assert result.applied, result.problems[:3]
            for kind in formats.KINDS:
                original = exports.records(session, kind)
                assert exports.records(copy, kind) == original, (fmt, kind)
        copy_engine.dispose()
    assert count(session, Institution) >= 154 and count(session, KnowledgeRequest) >= 92
    # an export read back into its own database changes nothing (detected languages included)
    for kind, n in (("offers", 180), ("requests", 92)):
        text = exports.export_records(session, principal=CLI_LIKE, kind=kind, fmt=Format.json)
        again = run(session, text, Format.json, kind)
        assert again.unchanged.get(kind) == n and not again.updated, (kind, again.updated)
