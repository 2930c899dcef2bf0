"""The command line is quiet by default: results alone on stdout, bars on a terminal's stderr or with -v."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import broker

INSTITUTIONS = "external_id,name,country,kind,languages\ngh-1,Ghana Health Service,Ghana,government,en\n"
OFFERS = (
    "external_id,institution,title,description,sectors\n"
    "o-1,gh-1,Community health insurance,How we enrolled informal workers,12220\n"
)


@pytest.fixture
def files(tmp_path: Path, tmp_sqlite_url: str) -> tuple[Path, Path]:
    assert broker(tmp_sqlite_url, "db", "upgrade").returncode == 0
    institutions, offers = tmp_path / "institutions.csv", tmp_path / "offers.csv"
    institutions.write_text(INSTITUTIONS, encoding="utf-8")
    offers.write_text(OFFERS, encoding="utf-8")
    return institutions, offers


def test_import_json_writes_only_the_report_to_stdout_and_nothing_to_stderr(
    tmp_sqlite_url: str, files: tuple[Path, Path]
) -> None:
    for path in files:
        result = broker(tmp_sqlite_url, "import", str(path), "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)  # the whole of stdout is the report
        assert report["applied"] is True and sum(report["created"].values()) == 1
        assert result.stderr == ""


def test_verbose_draws_the_progress_bar_on_stderr_and_keeps_stdout_json(
    tmp_sqlite_url: str, files: tuple[Path, Path]
) -> None:
    broker(tmp_sqlite_url, "import", str(files[0]))
    result = broker(tmp_sqlite_url, "-v", "import", str(files[1]), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["created"] == {"offers": 1}
    assert "embedding" in result.stderr


def test_progress_bar_is_drawn_when_stderr_is_a_terminal(
    tmp_sqlite_url: str, files: tuple[Path, Path]
) -> None:
    broker(tmp_sqlite_url, "import", str(files[0]))
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "broker", "import", str(files[1]), "--json"],
            env={**os.environ, "BROKER_DATABASE_URL": tmp_sqlite_url},
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            timeout=120,
            check=False,
        )
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(leader)
    assert result.returncode == 0
    assert json.loads(result.stdout)["created"] == {"offers": 1}
    assert b"embedding" in drawn


def test_quiet_mode_turns_off_the_libraries_progress_bars_before_they_load() -> None:
    # transformers reads these when first imported, as it is when a sentence-transformers model
    # loads: its "Loading weights" tqdm bar is off unless -v.
    probe = (
        "import sys; from broker.cli.output import set_verbosity; set_verbosity(verbose={v});"
        "from transformers.utils import logging; print(logging.is_progress_bar_enabled())"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY", "TQDM_DISABLE")
    }
    for verbose, enabled in ((False, "False"), (True, "True")):
        result = subprocess.run(
            [sys.executable, "-c", probe.format(v=verbose)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert result.stdout.strip() == enabled


@pytest.mark.model
def test_loading_the_sentence_transformers_model_prints_no_loading_weights_bar(
    tmp_sqlite_url: str, files: tuple[Path, Path]
) -> None:
    env = {"BROKER_ENCODER": "model", "BROKER_EMBEDDING_MODEL": "all-MiniLM-L6-v2"}
    result = subprocess.run(
        [sys.executable, "-m", "broker", "import", str(files[0]), "--json"],
        env={**os.environ, "BROKER_DATABASE_URL": tmp_sqlite_url, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["applied"] is True
    assert "Loading weights" not in result.stderr and result.stderr == ""
