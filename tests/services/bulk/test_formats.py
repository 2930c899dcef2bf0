"""CSV reading: parse errors are named as such with their line; unknown columns are reported, not dropped."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.errors import InvalidInput
from broker.models import Institution
from broker.services.bulk import formats
from broker.services.bulk.formats import Format
from tests.services.bulk.test_imports import run

HEADER = "external_id,name,country,kind,languages\n"


def institutions(n: int) -> str:
    return "".join(f"i-{k},Agency {k},Kenya,government,en\n" for k in range(n))


def test_an_unterminated_quote_is_a_parse_error_on_the_line_it_opens() -> None:
    # Lines: 1 header, 2-6 good rows, 7 the row whose quote never closes, 8-9 more rows.
    text = HEADER + institutions(5) + 'i-5,"Agency 5,Kenya,government,en\n' + institutions(2)
    with pytest.raises(InvalidInput) as raised:
        formats.parse(text, Format.csv, "institutions")
    assert raised.value.detail.startswith("invalid CSV: line 7: unterminated quoted field")
    assert "Field required" not in raised.value.detail


def test_a_multi_line_cell_counts_its_lines_before_the_bad_record() -> None:
    text = HEADER + 'i-1,"Agency\none",Kenya,government,en\n' + 'i-2,"Agency two,Kenya,government,en\n'
    with pytest.raises(InvalidInput, match="invalid CSV: line 4: unterminated quoted field"):
        formats.parse(text, Format.csv, "institutions")


def test_text_after_a_closing_quote_is_a_parse_error_naming_the_line() -> None:
    text = HEADER + institutions(1) + 'i-9,"Agency" nine,Kenya,government,en\n'
    with pytest.raises(InvalidInput, match=r"invalid CSV: line 3: text after a quoted cell's closing quote"):
        formats.parse(text, Format.csv, "institutions")


def test_a_cell_over_the_csv_field_limit_is_a_parse_error_with_its_line() -> None:
    text = HEADER + institutions(1) + f'i-9,"{"x" * 200_000}",Kenya,government,en\n'
    with pytest.raises(InvalidInput, match=r"invalid CSV: line 3: field larger than field limit"):
        formats.parse(text, Format.csv, "institutions")


def test_a_parse_error_writes_nothing(session: Session) -> None:
    text = HEADER + institutions(3) + 'i-5,"Agency 5,Kenya,government,en\n'
    before = session.scalar(select(func.count()).select_from(Institution))
    with pytest.raises(InvalidInput):
        run(session, text, Format.csv, "institutions")
    assert session.scalar(select(func.count()).select_from(Institution)) == before


def test_unknown_columns_are_problems_of_line_1_with_the_closest_known_name(session: Session) -> None:
    text = (
        "external_id,name,contry,country,kind,colour,languages\n" + "i-1,Agency,x,Kenya,government,red,en\n"
    )
    report = run(session, text, Format.csv, "institutions")
    assert not report.applied and report.problem_count == 2
    by_field = {p.field: p for p in report.problems}
    assert by_field["contry"].line == 1 and "did you mean 'country'?" in by_field["contry"].reason
    assert by_field["colour"].reason.startswith("unknown column 'colour'; known columns: ")
    assert "country" in by_field["colour"].reason
    # one problem per column, not one per row as well
    assert all("Extra inputs" not in p.reason for p in report.problems)
    assert (
        session.scalar(select(func.count()).select_from(Institution).where(Institution.external_id == "i-1"))
        == 0
    )


def test_partial_import_reports_the_unknown_column_and_imports_the_rows_without_it(session: Session) -> None:
    text = "external_id,name,country,kind,colour,languages\n" + "i-1,Agency,Kenya,government,red,en\n"
    report = run(session, text, Format.csv, "institutions", partial=True)
    assert report.applied and report.created == {"institutions": 1}
    assert [(p.line, p.field) for p in report.problems] == [(1, "colour")]


def test_offers_take_institution_by_external_id_not_institution_id() -> None:
    text = "external_id,institution_id,title,description\no-1,3,Title,A description here\n"
    records = formats.parse(text, Format.csv, "offers")
    assert records[0].values["__unknown_column__"] == "institution_id"
    assert "did you mean 'institution'?" in records[0].values["__reason__"]
    assert "institution_id" not in records[1].values
