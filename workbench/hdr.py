"""The encoded-histogram contract shared by collectors, importers and analytics.

Every latency histogram the workbench stores is an HdrHistogram (the ``hdrhistogram`` package)
tracking **microseconds** from 1 µs to 1 hour with 3 significant digits (values are exact to
0.1 %), encoded in the V2 compressed, base64 form (``HISTFAAA...``) that Java's
``Histogram.encodeIntoCompressedByteBuffer`` and ``.hlog`` files use. Histograms are merged by
adding counts, never by averaging percentiles.

Details: docs/latency.md (`workbench.hdr`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from hdrh.histogram import HdrHistogram

#: The range and precision of every stored histogram: µs, 1 µs .. 1 h, 3 significant digits.
LOWEST_US = 1
HIGHEST_US = 3_600_000_000
SIGNIFICANT_DIGITS = 3

#: The reported percentiles and their column names.
PERCENTILES: dict[str, float] = {
    "p50_ms": 50.0,
    "p75_ms": 75.0,
    "p90_ms": 90.0,
    "p95_ms": 95.0,
    "p99_ms": 99.0,
    "p999_ms": 99.9,
    "p9999_ms": 99.99,
}
STAT_COLUMNS = ("count", "mean_ms", *PERCENTILES, "max_ms")


def new_histogram() -> HdrHistogram:
    """An empty histogram with the workbench's range and precision."""
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)


def record_many(hist: HdrHistogram, values_us: Sequence[float] | np.ndarray) -> HdrHistogram:
    """Record many values (µs) at once: rounded, clamped to the histogram's range and counted
    per bucket in numpy (the same counts as ``record_value`` per value)."""
    arr = np.asarray(values_us, dtype=np.float64)
    if arr.size:
        record_ints(hist, np.clip(np.rint(arr), LOWEST_US, HIGHEST_US).astype(np.int64))
    return hist


def record_ints(hist: HdrHistogram, ints: np.ndarray, counts: np.ndarray | None = None) -> None:
    """Add ``counts`` (default 1 each) at the integer values ``ints`` (in range) to ``hist``."""
    index = index_of(hist, ints)
    view = counts_array(hist)
    view += np.bincount(index, weights=counts, minlength=hist.counts_len).astype(view.dtype)
    hist.total_count += int(ints.size if counts is None else counts.sum())
    hist.min_value = min(hist.min_value, int(ints.min()))
    hist.max_value = max(hist.max_value, int(ints.max()))


def lowest_values(hist: HdrHistogram, index: np.ndarray) -> np.ndarray:
    """The lowest value each counts ``index`` of ``hist`` stands for (vectorized
    ``get_value_from_index``)."""
    half_mag, half = hist.sub_bucket_half_count_magnitude, hist.sub_bucket_half_count
    bucket = (index >> half_mag) - 1
    sub = (index & (half - 1)) + half
    sub = np.where(bucket < 0, sub - half, sub)
    return sub << (np.maximum(bucket, 0) + hist.unit_magnitude)


def index_of(hist: HdrHistogram, ints: np.ndarray) -> np.ndarray:
    """The counts index of each integer value (``HdrHistogram._counts_index_for``, vectorized)."""
    pow2ceiling = np.frexp((ints | hist.sub_bucket_mask).astype(np.float64))[1]
    bucket = pow2ceiling - hist.unit_magnitude - (hist.sub_bucket_half_count_magnitude + 1)
    sub = ints >> (bucket + hist.unit_magnitude)
    return ((bucket + 1) << hist.sub_bucket_half_count_magnitude) + (sub - hist.sub_bucket_half_count)


def scaled(source: HdrHistogram, factor: float) -> HdrHistogram:
    """A workbench µs histogram of ``source``'s values times ``factor`` (``1e-3`` for ns).

    Each source bucket moves whole to the µs bucket whose reported (highest) value is nearest
    the source bucket's middle, so every value stays within 0.1 % (from 1 ms up) instead of
    being bucketed twice. Derivation: ``docs/benchmark-floor.md``.
    """
    counts = counts_array(source)
    index = np.flatnonzero(counts)
    out = new_histogram()
    if index.size:
        low = lowest_values(source, index)
        high = lowest_values(source, index + 1) - 1
        target = np.clip((low + high) / 2 * factor, LOWEST_US, HIGHEST_US)
        nearest = np.rint(target).astype(np.int64)
        start = lowest_values(out, index_of(out, nearest))
        above = lowest_values(out, index_of(out, nearest) + 1) - 1  # the bucket's reported value
        below = np.maximum(start - 1, LOWEST_US)  # the bucket before's reported value
        pick = np.where(above - target <= target - below, above, below)
        record_ints(out, pick, counts[index].astype(np.float64))
    return out


def from_values(values_us: Sequence[float] | np.ndarray) -> HdrHistogram:
    """A new histogram holding ``values_us`` (microseconds)."""
    return record_many(new_histogram(), values_us)


def encode(hist: HdrHistogram) -> str:
    """The V2 compressed base64 text of ``hist``."""
    return hist.encode().decode("ascii")


def decode(text: str | bytes) -> HdrHistogram:
    """A histogram from its V2 compressed base64 text. Raises ``ValueError`` when malformed."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    try:
        hist = HdrHistogram.decode(raw)
    except Exception as exc:  # the codec raises assorted zlib/struct/ctypes errors
        raise ValueError(f"not an encoded HdrHistogram ({type(exc).__name__}: {exc})") from exc
    if hist is None:
        raise ValueError("not an encoded HdrHistogram")
    return hist


def merge(encoded: Iterable[str | None]) -> HdrHistogram:
    """One histogram holding every count of the ``encoded`` histograms (nulls skipped)."""
    total = new_histogram()
    for text in encoded:
        if text:
            total.add(decode(text))
    return total


def counts_array(hist: HdrHistogram) -> np.ndarray:
    """The histogram's counts as a numpy view (index -> count)."""
    return np.ctypeslib.as_array(hist.counts)[: hist.counts_len]


def index_values(hist: HdrHistogram) -> np.ndarray:
    """The value each counts index stands for: its bucket's highest equivalent value (µs)."""
    return np.array(
        [hist.get_highest_equivalent_value(hist.get_value_from_index(i)) for i in range(hist.counts_len)],
        dtype=np.float64,
    )


@lru_cache(maxsize=8)
def _index_values(counts_len: int, sub_bucket_count: int, unit_magnitude: int) -> np.ndarray:
    hist = HdrHistogram(1 << unit_magnitude, HIGHEST_US, SIGNIFICANT_DIGITS)
    if (hist.counts_len, hist.sub_bucket_count) != (counts_len, sub_bucket_count):
        raise ValueError("histogram layout differs from the workbench's: merge it into a new one first")
    return index_values(hist)


def values_at_percentiles(hist: HdrHistogram, percentiles: Sequence[float]) -> np.ndarray:
    """Values (µs) at ``percentiles`` (0-100], HdrHistogram semantics; NaN for an empty histogram."""
    total = hist.get_total_count()
    if total == 0:
        return np.full(len(percentiles), np.nan)
    if hist.counts_len != new_histogram().counts_len:
        merged = new_histogram()
        merged.add(hist)
        hist = merged
    values = _index_values(hist.counts_len, hist.sub_bucket_count, hist.unit_magnitude)
    cum = np.cumsum(counts_array(hist))
    ranks = [max(1, int(min(p, 100.0) * total / 100 + 0.5)) for p in percentiles]
    idx = np.searchsorted(cum, ranks, side="left")
    return values[np.minimum(idx, len(values) - 1)]


def mean_value(hist: HdrHistogram) -> float:
    """``hist.get_mean_value()`` vectorized: each bucket's count times its median equivalent value,
    summed exactly in Python integers (hdrh walks every bucket in Python, seconds per run)."""
    if not hist.total_count:
        return 0.0
    counts = counts_array(hist)
    index = np.flatnonzero(counts)
    bucket = np.maximum((index >> hist.sub_bucket_half_count_magnitude) - 1, 0)
    median = lowest_values(hist, index) + ((1 << (bucket + hist.unit_magnitude)) >> 1)
    total = sum(c * m for c, m in zip(counts[index].tolist(), median.tolist(), strict=True))
    return float(total) / hist.total_count


def summarize(hist: HdrHistogram) -> dict[str, float | int | None]:
    """``count``, ``mean_ms``, the :data:`PERCENTILES` and ``max_ms`` of a µs histogram."""
    count = hist.get_total_count()
    if count == 0:
        return dict.fromkeys(STAT_COLUMNS, None) | {"count": 0}
    values = values_at_percentiles(hist, list(PERCENTILES.values()))
    out: dict[str, float | int | None] = {"count": int(count), "mean_ms": mean_value(hist) / 1000}
    out.update({name: float(v) / 1000 for name, v in zip(PERCENTILES, values, strict=True)})
    out["max_ms"] = hist.get_highest_equivalent_value(hist.get_max_value()) / 1000
    return out
