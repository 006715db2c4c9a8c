// PDQ, Meta's 256-bit perceptual hash, computed on her device (issue 17). The same algorithm
// as evidence/matching/pdq.py on the server, both ports of the reference implementation in
// facebook/ThreatExchange (pdq/cpp, BSD licence, Copyright (c) Meta Platforms, Inc. and
// affiliates): luma with PDQ's own coefficients, the Jarosz filter (two box filters along
// each axis, windows of ceil(side / 128) pixels), decimation to 64x64, DCT rows 1..16 along
// both axes, each of the 256 coefficients above their median is a 1 bit; quality from the
// 64x64's neighbour differences (0..100; below 50 too featureless to match on).
//
// An ES module, for a page or a module Web Worker (new Worker(url, {type: "module"})):
//   import { pdqOf } from "./pdq.js";
//   pdqOf(rgba /* Uint8ClampedArray, 4 bytes a pixel */, width, height)
//     -> {hash: "<64 hex digits, bit 255 first, as ThreatExchange prints>", quality: 0..100}
// Alpha is ignored. Nothing here sends anything anywhere.
//
// The filters are linear, so the two box passes along an axis and the decimation are one
// weight per input pixel for each of the 64 outputs (sampleWeights): a 12 MP photo is read
// once, and no full-size float copy of it is made.

const SIDE = 64;
const DCT_SIDE = 16;
const MIN_HASHABLE_SIDE = 5; // smaller pictures hash as all zeros with quality 0, as the C++
const LUMA_R = 0.299;
const LUMA_G = 0.587;
const LUMA_B = 0.114;

// Rows 1..16 of the 64-point DCT-II (pdqhashing.cpp's dct_matrix_64).
const DCT = (() => {
  const matrix = new Float64Array(DCT_SIDE * SIDE);
  const scale = Math.sqrt(2 / SIDE);
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < SIDE; j++) {
      matrix[i * SIDE + j] = scale * Math.cos((Math.PI / 2 / SIDE) * (i + 1) * (2 * j + 1));
    }
  }
  return matrix;
})();

// computeJaroszFilterWindowSize: ceil(length / 128).
function windowSize(length) {
  return Math.floor((length + 2 * SIDE - 1) / (2 * SIDE));
}

// For box1DFloat's output i, the inputs it averages: [low[i], high[i]).
function boxBounds(length, window) {
  const half = Math.floor((window + 2) / 2);
  const low = new Int32Array(length);
  const high = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    low[i] = Math.max(0, i - (window - half));
    high[i] = Math.min(length, i + half);
  }
  return { low, high };
}

// decimateFloat's input index for each of the 64 outputs.
function centres(length) {
  const out = new Int32Array(SIDE);
  for (let i = 0; i < SIDE; i++) out[i] = Math.floor(((i + 0.5) * length) / SIDE);
  return out;
}

// For each of the 64 outputs along an axis of `length` pixels: the first input it reads and
// the weight of each input from there (both box passes, then decimation).
function sampleWeights(length) {
  const { low, high } = boxBounds(length, windowSize(length));
  const rows = [];
  for (const centre of centres(length)) {
    const first = low[low[centre]];
    const last = high[high[centre] - 1];
    const weights = new Float64Array(last - first);
    for (let j = low[centre]; j < high[centre]; j++) {
      const share = 1 / (high[j] - low[j]);
      for (let k = low[j]; k < high[j]; k++) weights[k - first] += share;
    }
    const count = high[centre] - low[centre];
    for (let k = 0; k < weights.length; k++) weights[k] /= count;
    rows.push({ first, weights });
  }
  return rows;
}

// The 64x64 blurred and decimated luma, row-major.
function downsampled(rgba, width, height) {
  const across = new Float64Array(height * SIDE); // each row's 64 outputs along it
  const columns = sampleWeights(width);
  const luma = new Float32Array(width); // one row at a time, in float32 as pdqhash keeps it
  for (let y = 0; y < height; y++) {
    let p = y * width * 4;
    for (let x = 0; x < width; x++, p += 4) {
      luma[x] = LUMA_R * rgba[p] + LUMA_G * rgba[p + 1] + LUMA_B * rgba[p + 2];
    }
    for (let c = 0; c < SIDE; c++) {
      const { first, weights } = columns[c];
      let sum = 0;
      for (let k = 0; k < weights.length; k++) sum += weights[k] * luma[first + k];
      across[y * SIDE + c] = sum;
    }
  }
  const small = new Float64Array(SIDE * SIDE);
  const rows = sampleWeights(height);
  for (let r = 0; r < SIDE; r++) {
    const { first, weights } = rows[r];
    for (let k = 0; k < weights.length; k++) {
      const weight = weights[k];
      const offset = (first + k) * SIDE;
      for (let c = 0; c < SIDE; c++) small[r * SIDE + c] += weight * across[offset + c];
    }
  }
  return small;
}

// pdqImageDomainQualityMetric: differences in whole percent of 255, truncated, in float32 as
// the C++ computes them.
function qualityOf(small) {
  const f = Math.fround;
  const percent = (u, v) => Math.abs(Math.trunc(f(f(f(f(u) - f(v)) * 100) / 255)));
  let sum = 0;
  for (let i = 0; i < SIDE; i++) {
    for (let j = 0; j < SIDE; j++) {
      const u = small[i * SIDE + j];
      if (i + 1 < SIDE) sum += percent(u, small[(i + 1) * SIDE + j]);
      if (j + 1 < SIDE) sum += percent(u, small[i * SIDE + j + 1]);
    }
  }
  return Math.min(100, Math.floor(sum / 90));
}

// dct64To16: D A D^T, 16x16, row-major.
function coefficientsOf(small) {
  const t = new Float64Array(DCT_SIDE * SIDE);
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let k = 0; k < SIDE; k++) {
      const d = DCT[i * SIDE + k];
      for (let j = 0; j < SIDE; j++) t[i * SIDE + j] += d * small[k * SIDE + j];
    }
  }
  const out = new Float64Array(DCT_SIDE * DCT_SIDE);
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < DCT_SIDE; j++) {
      let sum = 0;
      for (let k = 0; k < SIDE; k++) sum += t[i * SIDE + k] * DCT[j * SIDE + k];
      out[i * DCT_SIDE + j] = sum;
    }
  }
  return out;
}

// Bit k (k = i * 16 + j) is set when coefficient k is above the median (the 128th smallest,
// as Torben's median in the C++); 64 hex digits with bit 255 first.
function hexOf(coefficients) {
  const sorted = Float64Array.from(coefficients).sort();
  const median = sorted[(coefficients.length - 1) >> 1];
  let hex = "";
  for (let nibble = 63; nibble >= 0; nibble--) {
    let digit = 0;
    for (let bit = 3; bit >= 0; bit--) {
      digit = (digit << 1) | (coefficients[nibble * 4 + bit] > median ? 1 : 0);
    }
    hex += digit.toString(16);
  }
  return hex;
}

export function pdqOf(rgba, width, height) {
  if (!(width > 0 && height > 0) || rgba.length < width * height * 4) {
    throw new RangeError("pdqOf: rgba must hold width * height RGBA pixels");
  }
  if (width < MIN_HASHABLE_SIDE || height < MIN_HASHABLE_SIDE) {
    return { hash: "0".repeat(64), quality: 0 };
  }
  const small = downsampled(rgba, width, height);
  return { hash: hexOf(coefficientsOf(small)), quality: qualityOf(small) };
}

export default pdqOf;
