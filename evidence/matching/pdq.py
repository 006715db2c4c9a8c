"""PDQ, Meta's 256-bit perceptual hash, in numpy: no compiler needed to install it.

A port of the reference implementation in facebook/ThreatExchange (pdq/cpp/hashing/
pdqhashing.cpp and pdq/cpp/downscaling/downscaling.cpp, BSD licence, Copyright (c) Meta
Platforms, Inc. and affiliates), step by step:

1. luma = 0.299 R + 0.587 G + 0.114 B (its own coefficients, not ITU-R 601-2's integer ones);
2. the Jarosz filter: a box filter along each row, then along each column, twice over (a tent
   filter), with windows of ceil(side / 128) pixels; the C++ keeps a running sum whose window
   is cut short at the edges, which `_box_bounds` reproduces;
3. decimation to 64x64 by taking the pixel at the centre of each of 64 x 64 cells;
4. the DCT rows 1..16 (not 0: the overall brightness says nothing) along both axes of the
   64x64, giving 16x16 coefficients;
5. bit i*16+j is set when coefficient (i, j) is above the median (the 128th smallest of the
   256, as Torben's median in the C++ picks);
6. quality: the sum of the 64x64's neighbour differences, each in whole percent of 255 and
   truncated, divided by 90 and capped at 100. Meta's guidance: below 50 the hash is too
   flat to trust for matching.

The hash is the integer whose bit k is bit k above, so its 64 hex digits are the same string
the C++ (Hash256::format), pdqhash and ThreatExchange print.

Box filters are linear and separable, so the order of the four passes does not change the
result (the C++ interleaves rows and columns), and the two passes along rows followed by the
decimation are one (64 x width) matrix, those along columns one (64 x height) matrix
(`sample_weights`): the 64x64 is two matrix products, and a 12 MP photo is read once.
Sums are in float64 where the C++ uses float32, so a coefficient next to the median could
fall the other way; measured against pdqhash on the 200 images of tests/helpers/
hash_corpus.py (tests/evidence/matching/test_pdq.py): all 200 hashes identical, all 200
qualities equal. static/leakcase/hashing/pdq.js is the same port for the browser
(tests/browser/test_pdq_js.py).
"""

import functools
import math

import numpy as np

# Meta's own constants (pdqhashing.cpp).
LUMA_COEFFICIENTS = np.array([0.299, 0.587, 0.114])
MIN_HASHABLE_SIDE = 5  # smaller pictures hash as all zeros with quality 0, as in the C++
JAROSZ_PASSES = 2  # per axis: sample_weights builds exactly two
SIDE = 64  # the decimated picture
DCT_SIDE = 16  # the coefficients kept along each axis


def _dct_matrix() -> np.ndarray:
    """Rows 1..16 of the 64-point DCT-II (pdqhashing.cpp's dct_matrix_64)."""
    i = np.arange(1, DCT_SIDE + 1)[:, None]
    j = np.arange(SIDE)[None, :]
    return math.sqrt(2.0 / SIDE) * np.cos((math.pi / 2.0 / SIDE) * i * (2 * j + 1))


DCT = _dct_matrix()


def window_size(old: int, new: int = SIDE) -> int:
    """computeJaroszFilterWindowSize: ceil(old / (2 * new))."""
    return (old + 2 * new - 1) // (2 * new)


def _box_bounds(length: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """For each output i of box1DFloat, the first and one-past-last input it averages:
    [i - (window - half), i + half - 1], cut at the ends, half = (window + 2) // 2."""
    half = (window + 2) // 2
    index = np.arange(length)
    low = np.maximum(0, index - (window - half))
    high = np.minimum(length, index + half)
    return low, high


def _centres(length: int) -> np.ndarray:
    """decimateFloat's input index for each of the 64 outputs: (i + 0.5) * length / 64."""
    return np.floor((np.arange(SIDE) + 0.5) * length / SIDE).astype(np.intp)


def luma_of(rgb: np.ndarray) -> np.ndarray:
    """(height, width, 3 or 4) uint8 -> (height, width) float luma; alpha is ignored."""
    if rgb.ndim != 3 or rgb.shape[2] < 3:
        raise ValueError("expected pixels shaped (height, width, 3 or 4)")
    # Channel by channel in float32 (as pdqhash hands the C++ its luma): a 12 MP photo's
    # three channels at once in float64 would take 290 MB.
    r, g, b = (LUMA_COEFFICIENTS.astype(np.float32)[c] * rgb[:, :, c] for c in range(3))
    return r + g + b


@functools.lru_cache(maxsize=64)
def sample_weights(length: int) -> np.ndarray:
    """(64, length): row c holds how much each input pixel adds to decimated output c after
    the Jarosz passes along an axis of `length` pixels (two box filters, then decimation).

    Box filters are linear, so the two passes along an axis and the decimation are one matrix;
    only the 64 rows that decimation keeps are built. Output j of a pass averages inputs
    [low[j], high[j]) (`_box_bounds`), so output c of the second pass gives each input k the
    sum of 1 / count[j] over the j in its own window whose windows hold k, over its count:
    built as steps (+ at low[j], - at high[j]) summed along the row. Cached: sides repeat.
    """
    low, high = _box_bounds(length, window_size(length))
    counts = high - low
    centres = _centres(length)
    span = int(counts[centres].max())
    windows = low[centres][:, None] + np.arange(span)[None, :]  # the j of each output
    inside = windows < high[centres][:, None]
    rows = np.broadcast_to(np.arange(SIDE)[:, None], windows.shape)[inside]
    js = windows[inside]
    steps = np.zeros((SIDE, length + 1))
    np.add.at(steps, (rows, low[js]), 1.0 / counts[js])
    np.add.at(steps, (rows, high[js]), -1.0 / counts[js])
    weights = np.cumsum(steps, axis=1)[:, :length] / counts[centres][:, None]
    weights.flags.writeable = False
    return weights


def downsampled(luma: np.ndarray) -> np.ndarray:
    """The 64x64 blurred and decimated picture (pdqFloat256FromFloatLuma's buffer64x64):
    the passes along rows and along columns as two matrix products."""
    rows, cols = luma.shape
    if rows == SIDE and cols == SIDE:  # the C++ takes a 64x64 as it is
        return luma.astype(np.float64)
    across = luma @ sample_weights(cols).T.astype(np.float32)  # (rows, 64)
    return sample_weights(rows) @ across.astype(np.float64)


def quality_of(small: np.ndarray) -> int:
    """pdqImageDomainQualityMetric on the 64x64 picture."""
    small = small.astype(np.float32)
    down = np.trunc((small[:-1, :] - small[1:, :]) * np.float32(100) / np.float32(255))
    across = np.trunc((small[:, :-1] - small[:, 1:]) * np.float32(100) / np.float32(255))
    gradient_sum = int(np.abs(down).sum() + np.abs(across).sum())
    return min(100, gradient_sum // 90)


def coefficients_of(small: np.ndarray) -> np.ndarray:
    """The 16x16 DCT coefficients (dct64To16): D A D^T."""
    return DCT @ small @ DCT.T


def bits_of(coefficients: np.ndarray) -> int:
    """pdqBuffer16x16ToBits: bit i*16+j set where coefficient (i, j) is above the median."""
    flat = coefficients.reshape(-1)
    median = np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2]
    value = 0
    for k in np.flatnonzero(flat > median):
        value |= 1 << int(k)
    return value


def pdq_of_pixels(pixels: np.ndarray) -> tuple[int, int]:
    """(hash as a 256-bit integer, quality 0..100) of (height, width, 3 or 4) uint8 pixels."""
    luma = luma_of(pixels)
    if min(luma.shape) < MIN_HASHABLE_SIDE:
        return 0, 0
    small = downsampled(luma)
    return bits_of(coefficients_of(small)), quality_of(small)


def pdq_of_image(image) -> tuple[int, int]:
    """pdq_of_pixels of a Pillow image, in RGB."""
    return pdq_of_pixels(np.asarray(image if image.mode == "RGB" else image.convert("RGB")))


def pdq_hex(value: int) -> str:
    return f"{value:064x}"
