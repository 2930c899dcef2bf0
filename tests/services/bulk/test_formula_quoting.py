"""CSV cells a spreadsheet would run as formulas are quoted on export and unquoted on import, losslessly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from broker.services.bulk.formats import FORMULA_STARTS, quote_formula, unquote_formula
from tests.matching.builders import DETERMINISTIC

cells = st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "a", " ", "1"]), max_size=8)


@DETERMINISTIC
@given(text=cells)
def test_quoting_is_undone_exactly_and_never_leaves_a_formula(text: str) -> None:
    quoted = quote_formula(text)
    assert not quoted.startswith(FORMULA_STARTS)
    assert unquote_formula(quoted) == text


def test_quoting_examples() -> None:
    assert quote_formula("=1+1") == "'=1+1"
    assert quote_formula("'=1+1") == "''=1+1"
    assert quote_formula("'plain") == "'plain"
    assert quote_formula("plain") == "plain"
