"""The README's "A first session with curl", run verbatim against a real server as `make run` leaves it.

The server is ``broker serve`` on a free loopback port over a fresh migrated SQLite file holding the
demo corpus, as after ``make run`` (db upgrade, keys bootstrap, demo load --if-empty). It embeds with
the fast hashing encoder (``BROKER_ENCODER=hashing``) to keep the test quick: rankings differ from
the real model's, but every call, id and filter the block uses is the same. Only ``KEY`` and ``BASE``
are set from outside, the two variables the block itself reads.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.server import broker_cli, broker_env, running_server

README = Path(__file__).resolve().parent.parent / "README.md"
pytestmark = pytest.mark.skipif(
    not (shutil.which("jq") and shutil.which("curl") and shutil.which("bash")),
    reason="the walk-through needs bash, curl and jq (`make test` installs jq)",
)


def section_blocks(title: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```sh\n(.*?)```", text[start : end if end > 0 else None], flags=re.S)


def json_documents(output: str) -> list[Any]:
    """Every JSON value printed (jq pretty-prints across lines), skipping plain lines like `echo`'s."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(output):
        if output[at] in "{[":
            value, at = decoder.raw_decode(output, at)
            found.append(value)
        else:
            at = output.find("\n", at) + 1 or len(output)
    return found


@dataclass
class Walkthrough:
    base: str
    key: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walkthrough]:
    folder = tmp_path_factory.mktemp("walkthrough")
    url = f"sqlite:///{folder / 'broker.db'}"
    # what `make run` does before serving
    broker_cli(url, "db", "upgrade")
    key = re.search(r"\bkb_\S+", broker_cli(url, "keys", "bootstrap"))
    assert key, "keys bootstrap printed no key"
    demo = subprocess.run(  # slower than broker_cli's two minutes allow on a busy machine
        [sys.executable, "-m", "broker", "demo", "load", "--if-empty"],
        env=broker_env(url),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    with running_server(url, folder / "server.log") as running:
        yield Walkthrough(base=running.base_url, key=key.group(0))


def run_blocks(server: Walkthrough, *blocks: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KEY": server.key, "BASE": server.base}
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", "\n".join(blocks)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_first_session_files_the_request_under_the_new_institution_and_ranks_offers_for_it(
    server: Walkthrough,
) -> None:
    [block] = section_blocks("A first session with curl")
    result = run_blocks(server, block)
    assert result.returncode == 0, result.stdout + result.stderr
    ids = re.search(r"institutions (\d+) and (\d+), offer (\d+), request (\d+)", result.stdout)
    assert ids, result.stdout
    nampula, ceara, offer, request = map(int, ids.groups())

    headers = {"Authorization": f"Bearer {server.key}"}
    filed = httpx.get(f"{server.base}/api/v1/requests/{request}", headers=headers).json()
    owner = httpx.get(f"{server.base}/api/v1/institutions/{nampula}", headers=headers).json()
    assert filed["institution_id"] == nampula and filed["title"] == "Feed pupils from local farms"
    assert owner["name"] == "Provincial Directorate of Education, Nampula" and owner["country"] == "MOZ"
    assert filed["country"] == "MOZ"  # from its institution, not a demo record's
    supplier = httpx.get(f"{server.base}/api/v1/offers/{offer}", headers=headers).json()
    assert supplier["institution_id"] == ceara

    documents = json_documents(result.stdout)
    listed, brazil, matches = documents[0], documents[-2], documents[-1]
    assert listed == {
        "id": request,
        "title": "Feed pupils from local farms",
        "institution_id": nampula,
        "country": "MOZ",
    }
    assert brazil["total"] >= 1 and len(brazil["titles"]) <= 3
    assert matches["items"], "the matches call returned no items"
    assert {item["request_id"] for item in matches["items"]} == {request}


def test_the_demand_section_runs_after_it(server: Walkthrough) -> None:
    [first] = section_blocks("A first session with curl")
    [demand] = section_blocks("Demand as it arrives: any language, no codes")
    result = run_blocks(server, first, demand)
    assert result.returncode == 0, result.stdout + result.stderr
    matches = json_documents(result.stdout)[-1]
    assert matches["items"] and "summary" in matches
