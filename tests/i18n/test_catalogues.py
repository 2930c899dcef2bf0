"""The message catalogues are complete, consistent with the sources, and compiled."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from broker.i18n import SUPPORTED_LOCALES, translations
from broker.i18n.locales import LOCALE_DIR
from broker.i18n.names import INCOME_NAMES, MODALITY_NAMES
from broker.reference import get_reference

ROOT = LOCALE_DIR.parent.parent
TRANSLATED = [locale for locale in SUPPORTED_LOCALES if locale != "en"]


def _po(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=locale)


def _source_ids() -> set[str | tuple[str, ...]]:
    """Every msgid in the code and templates, extracted as the README's `pybabel extract` does."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f, "babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords)
    return {message[2] for message in found}


def _key(msgid: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    return tuple(msgid) if isinstance(msgid, list | tuple) else msgid


@pytest.fixture(scope="module")
def source_ids() -> set[str | tuple[str, ...]]:
    return {_key(m) for m in _source_ids()}


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_string_of_the_sources_is_translated(locale: str, source_ids: set[object]) -> None:
    catalogue = _po(locale)
    translated = {_key(m.id): m for m in catalogue if m.id}
    missing = [m for m in source_ids if m not in translated]
    assert not missing, f"not in {locale}/messages.po (run the README's extract/update steps): {missing}"
    empty = [
        m.id
        for m in translated.values()
        if m.fuzzy or not all(m.string if isinstance(m.string, tuple | list) else [m.string])
    ]
    assert not empty, f"untranslated or fuzzy in {locale}: {empty}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_msgid(locale: str) -> None:
    catalogue = _po(locale)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check() if errors]
    assert not problems


@pytest.mark.parametrize("locale", TRANSLATED)
def test_compiled_catalogue_is_not_stale(locale: str) -> None:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    source = {_key(m.id): _key(m.string) for m in _po(locale) if m.id}
    assert compiled == source, f"recompile: pybabel compile -d broker/locale ({locale} .mo differs from .po)"


def test_catalogues_carry_no_string_the_sources_dropped(source_ids: set[object]) -> None:
    for locale in TRANSLATED:
        stale = [m.id for m in _po(locale) if m.id and _key(m.id) not in source_ids]
        assert not stale, f"obsolete in {locale} (pybabel update --ignore-obsolete): {stale}"


def test_translated_modality_names_are_the_reference_names() -> None:
    ref = get_reference()
    assert {m.code: m.name for m in ref.modalities} == MODALITY_NAMES
    assert [level.lower().replace(" ", "_") for level in ref.tables.income_levels] == list(INCOME_NAMES)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_compiled_catalogue_is_what_the_service_loads(locale: str) -> None:
    assert translations(locale).gettext("Requests") != "Requests"
    assert translations(locale).gettext("Sign in") == _po(locale)["Sign in"].string


def test_compiled_catalogues_ship_with_the_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["broker"]
    for locale in TRANSLATED:
        mo = (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo").relative_to(ROOT / "broker")
        assert any(fnmatch(str(mo), pattern) for pattern in patterns), mo
