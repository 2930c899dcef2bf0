"""An ``OfferIndex`` written to a directory and memory-mapped back, so workers share its pages.

Layout of a snapshot directory::

    manifest.json      format, sizes, first-pass parameters and the caller's metadata
    <column>.npy       one array per index column (embedding, sector codes, ..., int8 sketch codes),
                       with free rows after the live ones so that inserts after loading fit
    sketch_mean.npy, sketch_components.npy   the first pass's projection, when fitted

Loading with ``mmap=True`` maps every column copy-on-write (``np.load(mmap_mode="c")``): the
operating system's page cache holds the file once for all the processes that map it, a process
pays in its own memory only for the pages it writes (upserts and removals after loading), and the
files are never modified. Pages read by one worker count in its resident size (RssFile) but are
shared with every other worker mapping the same snapshot.

The float32 embeddings are the largest column (3.6 GB at a million 896-d offers) and a search reads
only a few of their rows (``OfferIndex`` scores from int8 codes first), so a loaded index reads
those rows with ``pread`` (``RowFile``): they come from the page cache without being mapped into
the worker, whose resident memory then holds the two int8 code columns, not the float32 matrix.
The code columns are touched once at load (``prefault``), so the first searches do not pay a page
fault per row.

The caller's ``metadata`` (e.g. the catalogue generation and per-row change stamps) is stored as
given, JSON-serialisable, and returned by ``load_index`` so incremental synchronisation can resume.
"""

from __future__ import annotations

import json
import mmap as mmapping
import os
import shutil
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from broker.matching.arrays import N_MODALITIES
from broker.matching.choice import POPCOUNT, SLOTS
from broker.matching.prefilter import PrefilterParams, SemanticSketch

if TYPE_CHECKING:
    from broker.matching.index import OfferIndex

FORMAT = 2  # 2: full-dimension int8 codes (refine_codes, refine_terms)
MANIFEST = "manifest.json"


def save_index(
    index: OfferIndex,
    path: str | os.PathLike[str],
    metadata: dict[str, Any] | None = None,
    extras: dict[str, np.ndarray[Any, Any]] | None = None,
) -> None:
    """Write the index to a new directory, replacing any previous snapshot there.

    The directory is written beside ``path`` and renamed into place, so a reader never sees a
    half-written snapshot under ``path`` (the old one is removed first, so there is a short
    moment without any).

    Args:
        index: The index to write (not modified).
        path: Target directory.
        metadata: JSON-serialisable dict stored as given.
        extras: Further arrays written beside the columns (e.g. the caller's request vectors),
            read back by ``load_extra``.
    """
    target = Path(path)
    staging = target.with_name(target.name + ".writing")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    n = len(index)
    rows = n + max(1024, n // 8)  # room for inserts after loading without reallocating
    for name, array in index._rows.items():
        out = np.lib.format.open_memmap(staging / f"{name}.npy", mode="w+", dtype=array.dtype,
                                        shape=(rows, *array.shape[1:]))  # fmt: skip
        fill = index._spec[name][1]
        for start in range(0, n, 65_536):  # in chunks: no second copy of a large column in memory
            out[start : min(n, start + 65_536)] = array[start : min(n, start + 65_536)]
        out[n:] = fill
        out.flush()
        del out
    sketch = index._sketch
    if sketch is not None:
        np.save(staging / "sketch_mean.npy", sketch.mean)
        np.save(staging / "sketch_components.npy", sketch.components)
    for name, array in (extras or {}).items():
        np.save(staging / f"extra-{name}.npy", np.ascontiguousarray(array))
    p = index.prefilter
    manifest = {
        "format": FORMAT,
        "size": n,
        "dim": index.dim,
        "n_languages": index.n_languages,
        "prefilter": {"threshold": p.threshold, "dims": p.dims, "pool": p.pool, "max_pool": p.max_pool,
                      "exact_when_unproven": p.exact_when_unproven, "sample": p.sample,
                      "pool_at": p.pool_at, "ceiling_pool": p.ceiling_pool},
        "extras": sorted(extras or {}),
        "slack_max": index._slack_max.tolist(),
        "metadata": metadata or {},
    }  # fmt: skip
    (staging / MANIFEST).write_text(json.dumps(manifest))
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def load_index(
    path: str | os.PathLike[str], *, mmap: bool = True, prefilter: PrefilterParams | None = None
) -> tuple[OfferIndex, dict[str, Any]]:
    """Open a snapshot written by ``save_index``.

    Args:
        path: Snapshot directory.
        mmap: Map the columns copy-on-write (shared, nothing read up front); False reads them into
            private memory.
        prefilter: Override the stored first-pass parameters (the codes stay valid whatever the
            threshold and pool; ``dims`` must match the stored codes).

    Returns:
        The index, writable, and the metadata stored with it.
    """
    from broker.matching.index import OfferIndex  # the index module imports this one

    folder = Path(path)
    manifest = json.loads((folder / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"unsupported snapshot format {manifest.get('format')!r}")
    stored = PrefilterParams(**manifest["prefilter"])
    params = prefilter or stored
    if params.dims != stored.dims:
        raise ValueError(f"the snapshot's codes have {stored.dims} dims, not {params.dims}")
    index = OfferIndex(dim=manifest["dim"], n_languages=manifest["n_languages"], capacity=1, prefilter=params)
    columns = {
        name: _map(folder / f"{name}.npy", random=name in ("embedding", "refine_codes"))
        if mmap
        else np.load(folder / f"{name}.npy")
        for name in index._rows
    }
    n = int(manifest["size"])
    dtype, fill, _ = index._spec["sectors"]
    index._spec["sectors"] = (dtype, fill, columns["sectors"].shape[1:])
    index._rows = columns
    index._size = n
    modalities = columns["modalities"]
    index._slots_by_column = np.ascontiguousarray(SLOTS[modalities].T)
    index._width_counts = np.bincount(POPCOUNT[modalities[:n]], minlength=N_MODALITIES + 1).astype(np.int64)
    index._position = dict(zip(columns["ids"][:n].tolist(), range(n), strict=True))
    index._slack_max = np.array(manifest["slack_max"], dtype=np.float32)
    index._dirty = np.zeros(len(columns["ids"]), dtype=np.bool_)
    if mmap:
        index._embedding_file = RowFile(folder / "embedding.npy", columns["embedding"])
        if (folder / "sketch_mean.npy").exists():
            for name in ("sketch_codes", "sketch_terms", "refine_codes", "refine_terms"):
                prefault(columns[name][:n])
    if (folder / "sketch_mean.npy").exists():
        index._sketch = SemanticSketch(
            mean=np.load(folder / "sketch_mean.npy"), components=np.load(folder / "sketch_components.npy")
        )
    return index, manifest["metadata"]


def load_extra(path: str | os.PathLike[str], name: str) -> np.ndarray[Any, Any] | None:
    """An array saved with the snapshot as ``extras[name]``; None when it has none of that name."""
    folder = Path(path)
    manifest = json.loads((folder / MANIFEST).read_text())
    if name not in manifest.get("extras", []):
        return None
    array: np.ndarray[Any, Any] = np.load(folder / f"extra-{name}.npy", allow_pickle=False)
    return array


class RowFile:
    """Rows of a 2-d ``.npy`` column read with ``pread`` (the page cache serves them; nothing is
    mapped into the process), beside the column's copy-on-write map ``mapped``."""

    def __init__(self, file: Path, mapped: np.ndarray[Any, Any]) -> None:
        self.mapped = mapped
        with open(file, "rb") as f:
            _read_header(f)
            self.offset = f.tell()
        self.row_bytes = int(mapped.strides[0])
        self.fd = os.open(file, os.O_RDONLY)
        weakref.finalize(self, os.close, self.fd)

    def read(self, rows: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """A copy of the given rows (ascending), one ``preadv`` per run of consecutive rows."""
        out = np.empty((len(rows), *self.mapped.shape[1:]), dtype=self.mapped.dtype)
        if len(rows) == 0:
            return out
        starts = np.flatnonzero(np.diff(rows, prepend=rows[0] - 2) != 1)  # first position of each run
        ends = np.append(starts[1:], len(rows))
        size = self.row_bytes
        view = memoryview(out.reshape(-1).view(np.uint8).data)
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            want = (end - start) * size
            got = os.preadv(self.fd, [view[start * size : end * size]], self.offset + int(rows[start]) * size)
            if got != want:
                raise OSError(f"short read from the snapshot: {got} of {want} bytes")
        return out


def _read_header(f: Any) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    """Shape, Fortran order and dtype of an open ``.npy`` file, leaving it at the data."""
    version = np.lib.format.read_magic(f)
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read(f)
    return shape, fortran, dtype


def prefault(array: np.ndarray[Any, Any]) -> None:
    """Read one byte of every page of a mapped array, so that later random reads do not fault."""
    flat = array.reshape(-1).view(np.uint8) if array.size else array
    if flat.size:
        int(flat[:: mmapping.PAGESIZE].sum())


def _map(file: Path, *, random: bool) -> np.ndarray[Any, Any]:
    """A ``.npy`` file mapped copy-on-write (as ``np.load(mmap_mode="c")``), optionally advised as
    randomly accessed: a search reads scattered pool rows of the embeddings, and without the advice
    the kernel maps (and counts in RSS) the neighbouring pages of every row it faults in."""
    with open(file, "rb") as f:
        shape, fortran, dtype = _read_header(f)
        mapped = mmapping.mmap(f.fileno(), 0, access=mmapping.ACCESS_COPY)
        offset = f.tell()
    if random:
        mapped.madvise(mmapping.MADV_RANDOM)
    return np.ndarray(shape, dtype=dtype, buffer=mapped, offset=offset, order="F" if fortran else "C")
