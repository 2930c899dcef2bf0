"""Encoders: the hashing test encoder everywhere, the real model in a few labelled tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from broker.ranking.embedding import (
    DEFAULT_MODEL_ID,
    Encoder,
    HashingEncoder,
    SentenceTransformerEncoder,
    default_model_path,
    embedding_text,
)

ROOT = Path(__file__).resolve().parents[2]


def test_hashing_encoder_gives_unit_rows_and_similar_vectors_for_shared_words() -> None:
    encoder = HashingEncoder()
    assert isinstance(encoder, Encoder) and encoder.model_id == "test-hashing-v1" and encoder.dim == 384
    rows = encoder.encode(["HIV treatment scale-up", "scale-up of HIV treatment", "drip irrigation", ""])
    assert rows.shape == (4, 384) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-6)
    assert rows[0] @ rows[1] > 0.5 > abs(float(rows[0] @ rows[2]))
    assert encoder.encode([]).shape == (0, 384)
    assert HashingEncoder(dim=16).model_id == "test-hashing-v1-d16"


def test_hashing_encoder_is_identical_across_processes() -> None:
    code = (
        "from broker.ranking.embedding import HashingEncoder;"
        "print(HashingEncoder(dim=32).encode(['Brazil school feeding programme']).tobytes().hex())"
    )

    def run(seed: str) -> str:
        env = {"PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT, env=env
        ).stdout

    outputs = {run(seed) for seed in ("1", "2", "random")}
    assert outputs == {
        HashingEncoder(dim=32).encode(["Brazil school feeding programme"]).tobytes().hex() + "\n"
    }


@pytest.fixture(scope="module")
def model() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(default_model_path())


@pytest.mark.model
def test_real_model_places_an_hiv_request_closer_to_an_hiv_offer(model: SentenceTransformerEncoder) -> None:
    assert isinstance(model, Encoder) and model.model_id == DEFAULT_MODEL_ID and model.dim == 384
    request, hiv, irrigation = model.encode(
        [
            embedding_text(
                "Scaling up HIV treatment",
                "Expand access to antiretroviral therapy and cut loss to follow-up.",
            ),
            embedding_text(
                "Brazil's national AIDS programme",
                "Universal free antiretroviral treatment, shared through study tours.",
            ),
            embedding_text(
                "Small-scale irrigation",
                "Drip irrigation and water user associations for smallholder farmers.",
            ),
        ]
    )
    assert float(request @ hiv) > float(request @ irrigation) + 0.2


@pytest.mark.model
def test_real_model_chunks_long_texts_into_a_normalised_vector(model: SentenceTransformerEncoder) -> None:
    sentence = (
        "District health offices coordinate community health workers and essential medicine supply chains. "
    )
    long_text = "Primary health care reform. " + sentence * 80
    chunks = model.chunks(long_text)
    assert len(chunks) >= 4 and chunks[0].startswith("Primary health care reform.")
    assert all(chunk in long_text for chunk in chunks)
    assert model.chunks("short text") == ["short text"]
    rows = model.encode([long_text, "short text"])
    assert rows.shape == (2, 384) and np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    first = model.encode([chunks[0]])[0]
    assert float(rows[0] @ first) > 0.8  # the first window weighs most
