"""Plain-array inputs of the matching core: the demand side, the supply side and helpers to build them.

Both sides are dataclasses of numpy arrays with one row per request (demand) or per offer (supply).
Scoring pairs row ``i`` of one side with row ``i`` of the other after broadcasting, so one request
against N offers (demand of length 1) and one offer against N requests (supply of length 1) run
through the same code.

Codes are small integers assigned by the caller's encode step: a sector, country or language is an
index into the reference lists; ``-1`` means "none" or "unknown". Sets of modalities are 14-bit masks
(bit ``m`` set = modality ``m``) and sets of languages are packed bitsets, so set intersections cost
one bitwise AND per row instead of a boolean row of the full vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

N_MODALITIES = 14
ALL_MODALITIES = (1 << N_MODALITIES) - 1

FloatArray = NDArray[np.float64]  # results
RealArray = NDArray[np.floating[Any]]  # float inputs (stored as float64)
IntArray = NDArray[np.integer[Any]]  # integer codes (stored as intp)
MaskArray = NDArray[np.integer[Any]]  # modality masks (stored as uint16)
BitsArray = NDArray[np.integer[Any]]  # language bitsets (stored as uint64)


def modality_mask(modalities: Iterable[int]) -> int:
    """Encode a set of modality indexes as a 14-bit mask.

    Args:
        modalities: Modality indexes, each in [0, 14).

    Returns:
        The mask in [0, 2**14); 0 for an empty set.
    """
    mask = 0
    for m in modalities:
        if not 0 <= m < N_MODALITIES:
            raise ValueError(f"modality index {m} outside [0, {N_MODALITIES})")
        mask |= 1 << m
    return mask


def modality_masks(selected: ArrayLike) -> NDArray[np.uint16]:
    """Encode a boolean modality matrix as one mask per row.

    Args:
        selected: Boolean array of shape (n, 14).

    Returns:
        uint16 array of shape (n,), values in [0, 2**14).
    """
    rows = np.asarray(selected, dtype=bool)
    if rows.ndim != 2 or rows.shape[1] != N_MODALITIES:
        raise ValueError(f"expected shape (n, {N_MODALITIES}), got {rows.shape}")
    weights = 1 << np.arange(N_MODALITIES, dtype=np.int64)
    masks: NDArray[np.uint16] = (rows.astype(np.int64) @ weights).astype(np.uint16)
    return masks


def language_words(n_languages: int) -> int:
    """Number of 64-bit words in a language bitset.

    Args:
        n_languages: Size of the language vocabulary, >= 0.

    Returns:
        ceil(n_languages / 64), at least 1.
    """
    return max(1, -(-n_languages // 64))


def language_bits(code_sets: Sequence[Iterable[int]], n_languages: int) -> NDArray[np.uint64]:
    """Pack sets of language indexes into bitsets.

    Args:
        code_sets: One iterable of language indexes (each in [0, n_languages)) per row.
        n_languages: Size of the language vocabulary.

    Returns:
        uint64 array of shape (n, language_words(n_languages)); bit ``c % 64`` of word ``c // 64``
        is set when language ``c`` is in the row's set.
    """
    out = np.zeros((len(code_sets), language_words(n_languages)), dtype=np.uint64)
    for row, codes in enumerate(code_sets):
        for c in codes:
            if not 0 <= c < n_languages:
                raise ValueError(f"language index {c} outside [0, {n_languages})")
            out[row, c // 64] |= np.uint64(1 << (c % 64))
    return out


def pad_codes(code_sets: Sequence[Iterable[int]], width: int | None = None) -> NDArray[np.intp]:
    """Stack variable-length code lists into a matrix padded with -1.

    Args:
        code_sets: One iterable of non-negative codes per row.
        width: Number of columns; defaults to the longest list (at least 1).

    Returns:
        intp array of shape (n, width), -1 where a row has fewer codes.
    """
    lists = [list(codes) for codes in code_sets]
    longest = max((len(codes) for codes in lists), default=0)
    width = max(1, longest) if width is None else width
    if longest > width:
        raise ValueError(f"a row has {longest} codes, more than width {width}")
    out = np.full((len(lists), width), -1, dtype=np.intp)
    for row, codes in enumerate(lists):
        out[row, : len(codes)] = codes
    return out


def _coerce(obj: Any, name: str, dtype: type[np.generic] | None, ndim: int) -> None:
    """Replace a frozen dataclass field by a C-contiguous array of ``dtype`` (no copy if already so)."""
    value = np.ascontiguousarray(getattr(obj, name), dtype=dtype)
    if value.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {value.shape}")
    object.__setattr__(obj, name, value)


def _unknown_language(obj: Any) -> None:
    if obj.text_language is None:
        object.__setattr__(obj, "text_language", np.full(len(obj.country), -1, dtype=np.intp))


def _check_rows(obj: Any, names: Sequence[str]) -> int:
    n = int(getattr(obj, names[0]).shape[0])
    for name in names[1:]:
        if getattr(obj, name).shape[0] != n:
            raise ValueError(f"{name} has {getattr(obj, name).shape[0]} rows, expected {n}")
    return n


@dataclass(frozen=True, slots=True, eq=False)
class DemandArrays:
    """Requests (the demand side), one row each.

    Attributes:
        embedding: (n, dim) float32 or float64, rows L2-normalised (or all zero when there is no text).
        sectors: (n, k) intp sector indexes, padded with -1; a row of -1 means "no sector given".
        country: (n,) intp country index of the requesting institution's country, -1 unknown.
        modalities: (n,) uint16 mask of preferred modalities; 0 means no preference.
        languages: (n, w) uint64 bitset of the request's languages united with the requesting
            institution's working languages.
        budget_usd: (n,) float64 budget in USD, > 0, NaN when none is given.
        participants: (n,) float64 number of participants, > 0, NaN to use each modality's typical
            group size.
        text_language: (n,) intp language index of the text (title and description), -1 unknown;
            None means unknown for every row.
    """

    embedding: NDArray[np.floating[Any]]
    sectors: IntArray
    country: IntArray
    modalities: MaskArray
    languages: BitsArray
    budget_usd: RealArray
    participants: RealArray
    text_language: IntArray = None  # type: ignore[assignment]  # None -> all unknown

    def __post_init__(self) -> None:
        _unknown_language(self)
        _coerce(self, "embedding", None, 2)
        _coerce(self, "sectors", np.intp, 2)
        _coerce(self, "country", np.intp, 1)
        _coerce(self, "modalities", np.uint16, 1)
        _coerce(self, "languages", np.uint64, 2)
        _coerce(self, "budget_usd", np.float64, 1)
        _coerce(self, "participants", np.float64, 1)
        _coerce(self, "text_language", np.intp, 1)
        _check_rows(self, [f.name for f in fields(self)])
        if np.any(self.budget_usd <= 0) or np.any(self.participants <= 0):
            raise ValueError("budget_usd and participants must be positive or NaN")

    def __len__(self) -> int:
        return int(self.country.shape[0])


@dataclass(frozen=True, slots=True, eq=False)
class SupplyArrays:
    """Offers (the supply side), one row each.

    Attributes:
        embedding: (n, dim) float32 or float64, rows L2-normalised (or all zero when there is no text).
        sectors: (n, k) intp sector indexes, padded with -1.
        country: (n,) intp country index of the offering institution's country, -1 unknown.
        modalities: (n,) uint16 mask of offered modalities; must be non-zero (encode "open to any
            modality" as ``ALL_MODALITIES``).
        languages: (n, w) uint64 bitset of the offer's languages united with the offering
            institution's working languages.
        cost_usd: (n,) float64 the offering side's own total cost of delivering the exchange in USD,
            >= 0, NaN when not stated (then the modality's planning parameters are used).
        text_language: (n,) intp language index of the text, -1 unknown; None means all unknown.
    """

    embedding: NDArray[np.floating[Any]]
    sectors: IntArray
    country: IntArray
    modalities: MaskArray
    languages: BitsArray
    cost_usd: RealArray
    text_language: IntArray = None  # type: ignore[assignment]  # None -> all unknown

    def __post_init__(self) -> None:
        _unknown_language(self)
        _coerce(self, "embedding", None, 2)
        _coerce(self, "sectors", np.intp, 2)
        _coerce(self, "country", np.intp, 1)
        _coerce(self, "modalities", np.uint16, 1)
        _coerce(self, "languages", np.uint64, 2)
        _coerce(self, "cost_usd", np.float64, 1)
        _coerce(self, "text_language", np.intp, 1)
        _check_rows(self, [f.name for f in fields(self)])

    def __len__(self) -> int:
        return int(self.country.shape[0])

    def validate(self) -> None:
        """Check value ranges (O(n); builders call it, the hot path does not).

        Raises:
            ValueError: An offer names no modality, a modality bit is out of range or a cost is
                negative or infinite.
        """
        if np.any(self.modalities == 0) or np.any(self.modalities > ALL_MODALITIES):
            raise ValueError("every offer needs a non-empty modality mask within 14 bits")
        if np.any(self.cost_usd < 0) or np.any(np.isinf(self.cost_usd)):
            raise ValueError("cost_usd must be finite and >= 0, or NaN")


def _optional(values: Sequence[float | None]) -> FloatArray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def build_demand(
    *,
    embedding: ArrayLike,
    sectors: Sequence[Iterable[int]],
    country: Sequence[int],
    modalities: Sequence[Iterable[int]],
    languages: Sequence[Iterable[int]],
    n_languages: int,
    budget_usd: Sequence[float | None],
    participants: Sequence[float | None],
    text_language: Sequence[int] | None = None,
) -> DemandArrays:
    """Build ``DemandArrays`` from per-request Python values (one list entry per request).

    Args:
        embedding: (n, dim) unit-norm embeddings.
        sectors: Sector indexes of each request.
        country: Country index of each request, -1 unknown.
        modalities: Preferred modality indexes of each request (empty = no preference).
        languages: Language indexes of each request and its institution.
        n_languages: Size of the language vocabulary.
        budget_usd: Budget of each request in USD, None when absent.
        participants: Planned participants of each request, None for the modality's typical group.
        text_language: Language index of each request's text, -1 unknown (default: all unknown).

    Returns:
        The demand arrays, n rows.
    """
    return DemandArrays(
        embedding=np.asarray(embedding),
        sectors=pad_codes(sectors),
        country=np.asarray(country, dtype=np.intp),
        modalities=np.array([modality_mask(m) for m in modalities], dtype=np.uint16),
        languages=language_bits(languages, n_languages),
        budget_usd=_optional(budget_usd),
        participants=_optional(participants),
        text_language=None if text_language is None else np.asarray(text_language, dtype=np.intp),  # type: ignore[arg-type]
    )


def build_supply(
    *,
    embedding: ArrayLike,
    sectors: Sequence[Iterable[int]],
    country: Sequence[int],
    modalities: Sequence[Iterable[int]],
    languages: Sequence[Iterable[int]],
    n_languages: int,
    cost_usd: Sequence[float | None],
    text_language: Sequence[int] | None = None,
) -> SupplyArrays:
    """Build validated ``SupplyArrays`` from per-offer Python values (one list entry per offer).

    Args:
        embedding: (n, dim) unit-norm embeddings.
        sectors: Sector indexes of each offer.
        country: Country index of each offer, -1 unknown.
        modalities: Offered modality indexes of each offer (non-empty).
        languages: Language indexes of each offer and its institution.
        n_languages: Size of the language vocabulary.
        cost_usd: The offering side's stated cost in USD, None when not stated.
        text_language: Language index of each offer's text, -1 unknown (default: all unknown).

    Returns:
        The supply arrays, n rows.
    """
    supply = SupplyArrays(
        embedding=np.asarray(embedding),
        sectors=pad_codes(sectors),
        country=np.asarray(country, dtype=np.intp),
        modalities=np.array([modality_mask(m) for m in modalities], dtype=np.uint16),
        languages=language_bits(languages, n_languages),
        cost_usd=_optional(cost_usd),
        text_language=None if text_language is None else np.asarray(text_language, dtype=np.intp),  # type: ignore[arg-type]
    )
    supply.validate()
    return supply
