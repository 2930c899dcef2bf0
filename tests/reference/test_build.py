"""The build script reproduces data/reference byte for byte from shared/reference."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from broker.reference.loader import DEFAULT_DATA_DIR

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared" / "reference"
GENERATED = ("sectors.json", "sdgs.json", "languages.json", "countries.json", "regions.json", "manifest.json")
CURATED = ("modalities.json", "outcomes.json", "country_overrides.json")


def _skip_reason() -> str | None:
    if not SOURCE.is_dir():
        return f"raw reference sources not found at {SOURCE}"
    manifest = json.loads((DEFAULT_DATA_DIR / "manifest.json").read_text(encoding="utf-8"))
    for package, version in manifest["packages"].items():
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return f"{package} is not installed (pip install -e '.[dev]')"
        if installed != version:
            return f"data/reference was built with {package} {version}, {installed} is installed"
    return None


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reason = _skip_reason()
    if reason:
        pytest.skip(f"build reproducibility not checked: {reason}")
    out = tmp_path_factory.mktemp("reference")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build_reference.py"),
            "--source",
            str(SOURCE),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return out


@pytest.mark.parametrize("name", GENERATED)
def test_build_reproduces_committed_file(rebuilt: Path, name: str) -> None:
    assert (rebuilt / name).read_bytes() == (DEFAULT_DATA_DIR / name).read_bytes()


def test_build_leaves_curated_files_alone(rebuilt: Path) -> None:
    assert sorted(p.name for p in rebuilt.iterdir()) == sorted(GENERATED)
    for name in CURATED:
        assert (DEFAULT_DATA_DIR / name).is_file()


def test_manifest_checksums_match_the_sources(rebuilt: Path) -> None:
    manifest = json.loads((rebuilt / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["inputs"]) >= {
        "iati_Sector.xml",
        "countries_territories_taxonomy.csv",
        "country_overrides.json",
    }
