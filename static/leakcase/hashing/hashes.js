// The fingerprints of a picture, computed on her device (issue 17): pHash and dHash exactly as
// the server computes them (evidence/matching/hashing.py, which uses the Python library
// imagehash on Pillow), and MD5 and SHA-256 of the file's bytes. Only these values are sent.
//
// The server's definition, step by step, is what this file reproduces:
// 1. the picture upright (EXIF orientation applied) in RGB: the worker asks the browser's
//    decoder for that (createImageBitmap with imageOrientation "from-image");
// 2. Pillow's convert("L"): ITU-R 601-2 luma in 16-bit fixed point, rounded;
// 3. Pillow's resize(..., LANCZOS): separable Lanczos-3 whose support grows with the
//    downscale factor, horizontal pass first, coefficients in 22-bit fixed point and the
//    result rounded to 8 bits between the passes (libImaging/Resample.c, ImagingResample);
// 4. pHash: 32x32, the DCT-II (scipy.fftpack.dct, unnormalised) along columns then rows, the
//    top-left 8x8 compared with their median; dHash: 9x8, each pixel compared with its left
//    neighbour. Bits in row order, the first bit the most significant hex digit's top bit.
// Where the two can still differ: the server decodes a JPEG at reduced size (Image.draft) and
// the browser's decoder rounds its own way, so a bit or two may flip (docs/hash-agreement.md).
//
// Plain ES module, no dependency: used by worker.js and by the agreement test.

const PRECISION_BITS = 32 - 8 - 2; // Resample.c: 8-bit images, 22-bit coefficients
const LANCZOS_SUPPORT = 3;

// --- 2. Luma -----------------------------------------------------------------------------

// Pillow's rgb2l: L = (R*19595 + G*38470 + B*7471 + 0x8000) >> 16, i.e. 299/587/114 per
// mille, rounded. Alpha is ignored, as Pillow's RGBA->RGB conversion ignores it.
export function luma(rgba, width, height) {
  const grey = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < grey.length; i += 1, j += 4) {
    grey[i] = (rgba[j] * 19595 + rgba[j + 1] * 38470 + rgba[j + 2] * 7471 + 0x8000) >>> 16;
  }
  return grey;
}

// --- 3. Lanczos resampling as Pillow does it -------------------------------------------

function sinc(x) {
  if (x === 0.0) return 1.0;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

function lanczos(x) {
  if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
  return 0.0;
}

// Resample.c precompute_coeffs + normalize_coeffs_8bpc, for the whole source (box 0..inSize).
function coefficients(inSize, outSize) {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1.0);
  const support = LANCZOS_SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const weights = new Float64Array(ksize);
  const kk = new Int32Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  for (let xx = 0; xx < outSize; xx += 1) {
    const center = (xx + 0.5) * scale;
    const ss = 1.0 / filterscale;
    // C's (int) truncates towards zero; center - support + 0.5 may be negative.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0.0;
    for (let x = 0; x < xmax; x += 1) {
      const w = lanczos((x + xmin - center + 0.5) * ss);
      weights[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x += 1) {
      const k = ww !== 0.0 ? weights[x] / ww : weights[x];
      const fixed = k * (1 << PRECISION_BITS);
      kk[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + fixed) : Math.trunc(0.5 + fixed);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, kk, bounds };
}

function clip8(ss) {
  const value = ss >> PRECISION_BITS; // an arithmetic shift, as in C
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

// One pass along rows: out[y][xx] from source[y + rowOffset][...], for `rows` rows.
function horizontalPass(source, width, rows, rowOffset, coeffs, outWidth) {
  const out = new Uint8Array(outWidth * rows);
  const half = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < rows; yy += 1) {
    const line = (yy + rowOffset) * width;
    for (let xx = 0; xx < outWidth; xx += 1) {
      const xmin = coeffs.bounds[xx * 2];
      const xmax = coeffs.bounds[xx * 2 + 1];
      const k = xx * coeffs.ksize;
      let ss = half;
      for (let x = 0; x < xmax; x += 1) ss += source[line + x + xmin] * coeffs.kk[k + x];
      out[yy * outWidth + xx] = clip8(ss);
    }
  }
  return out;
}

// One pass along columns: out[yy][x] from source rows (bounds shifted by rowOffset).
function verticalPass(source, width, rowOffset, coeffs, outHeight) {
  const out = new Uint8Array(width * outHeight);
  const half = 1 << (PRECISION_BITS - 1);
  for (let yy = 0; yy < outHeight; yy += 1) {
    const ymin = coeffs.bounds[yy * 2] - rowOffset;
    const ymax = coeffs.bounds[yy * 2 + 1];
    const k = yy * coeffs.ksize;
    for (let xx = 0; xx < width; xx += 1) {
      let ss = half;
      for (let y = 0; y < ymax; y += 1) ss += source[(y + ymin) * width + xx] * coeffs.kk[k + y];
      out[yy * width + xx] = clip8(ss);
    }
  }
  return out;
}

// Pillow's ImagingResample on an 8-bit grey image, LANCZOS, no reducing_gap (imagehash's call).
// The two passes round to 8 bits in between, so their order matters. Pillow 13 goes
// horizontally first, except when the height shrinks by more than twice as many pixels as
// the width (Pillow PR 9549, "resize vertically first"): height - outHeight > 2 * (width -
// outWidth). The rule was checked against Pillow 13.0.0 on 577 random sizes (all agree).
export function resizeLanczos(grey, width, height, outWidth, outHeight) {
  const needHorizontal = outWidth !== width;
  const needVertical = outHeight !== height;
  if (!needHorizontal && !needVertical) return grey.slice();
  const horiz = coefficients(width, outWidth);
  const vert = coefficients(height, outHeight);
  if (!needVertical) return horizontalPass(grey, width, height, 0, horiz, outWidth);
  if (!needHorizontal) return verticalPass(grey, width, 0, vert, outHeight);
  if (outHeight < height && height - outHeight > 2 * (width - outWidth)) {
    const tall = verticalPass(grey, width, 0, vert, outHeight);
    return horizontalPass(tall, width, outHeight, 0, horiz, outWidth);
  }
  // Only the source rows the vertical pass reads are resampled horizontally.
  const yFirst = vert.bounds[0];
  const yLast = vert.bounds[outHeight * 2 - 2] + vert.bounds[outHeight * 2 - 1];
  const wide = horizontalPass(grey, width, yLast - yFirst, yFirst, horiz, outWidth);
  return verticalPass(wide, outWidth, yFirst, vert, outHeight);
}

// --- 4. pHash and dHash -------------------------------------------------------------------

function bitsToHex(bits) {
  let hex = "";
  for (let i = 0; i < bits.length; i += 4) {
    hex += ((bits[i] << 3) | (bits[i + 1] << 2) | (bits[i + 2] << 1) | bits[i + 3]).toString(16);
  }
  return hex;
}

// scipy.fftpack.dct type II, norm None, of each row of an n x n matrix (in place into out):
// y[k] = 2 * sum_n x[n] cos(pi k (2n + 1) / (2N)).
function dctRows(input, n, out) {
  for (let row = 0; row < n; row += 1) {
    for (let k = 0; k < n; k += 1) {
      let sum = 0.0;
      for (let i = 0; i < n; i += 1) {
        sum += input[row * n + i] * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
      }
      out[row * n + k] = 2 * sum;
    }
  }
}

function transpose(matrix, n) {
  const out = new Float64Array(n * n);
  for (let r = 0; r < n; r += 1) for (let c = 0; c < n; c += 1) out[c * n + r] = matrix[r * n + c];
  return out;
}

export function phashHex(grey, width, height) {
  const size = 32;
  const pixels = Float64Array.from(resizeLanczos(grey, width, height, size, size));
  // dct(dct(pixels, axis=0), axis=1): columns first, then rows.
  const columns = new Float64Array(size * size);
  dctRows(transpose(pixels, size), size, columns);
  const both = new Float64Array(size * size);
  dctRows(transpose(columns, size), size, both);
  const low = [];
  for (let r = 0; r < 8; r += 1) for (let c = 0; c < 8; c += 1) low.push(both[r * size + c]);
  const sorted = low.slice().sort((a, b) => a - b);
  const median = (sorted[31] + sorted[32]) / 2; // numpy.median of 64 values
  return bitsToHex(low.map((value) => (value > median ? 1 : 0)));
}

export function dhashHex(grey, width, height) {
  const pixels = resizeLanczos(grey, width, height, 9, 8);
  const bits = [];
  for (let r = 0; r < 8; r += 1) {
    for (let c = 0; c < 8; c += 1) bits.push(pixels[r * 9 + c + 1] > pixels[r * 9 + c] ? 1 : 0);
  }
  return bitsToHex(bits);
}

// --- MD5 and SHA-256 of the file's bytes -------------------------------------------------

function toHex(words, littleEndian) {
  let hex = "";
  for (const word of words) {
    for (let b = 0; b < 4; b += 1) {
      const shift = littleEndian ? b * 8 : 24 - b * 8;
      hex += ((word >>> shift) & 0xff).toString(16).padStart(2, "0");
    }
  }
  return hex;
}

// The message padded to whole 64-byte blocks with its length in bits (MD5 and SHA-2 alike).
function padded(bytes, littleEndian) {
  const length = bytes.length;
  const total = Math.ceil((length + 9) / 64) * 64;
  const out = new Uint8Array(total);
  out.set(bytes);
  out[length] = 0x80;
  const view = new DataView(out.buffer);
  const bitsLow = (length * 8) >>> 0;
  const bitsHigh = Math.floor(length / 0x20000000);
  if (littleEndian) {
    view.setUint32(total - 8, bitsLow, true);
    view.setUint32(total - 4, bitsHigh, true);
  } else {
    view.setUint32(total - 8, bitsHigh, false);
    view.setUint32(total - 4, bitsLow, false);
  }
  return view;
}

const MD5_SHIFTS = [
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
  14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
  21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];
const MD5_K = Array.from({ length: 64 }, (_, i) =>
  Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) >>> 0
);

// MD5 (RFC 1321). Written here, not vendored: 40 lines, checked against Python's hashlib by
// the agreement test. MD5 is what the hash-sharing programmes exchange, not a safeguard.
export function md5Hex(bytes) {
  const view = padded(bytes, true);
  let a0 = 0x67452301;
  let b0 = 0xefcdab89;
  let c0 = 0x98badcfe;
  let d0 = 0x10325476;
  const m = new Uint32Array(16);
  for (let offset = 0; offset < view.byteLength; offset += 64) {
    for (let i = 0; i < 16; i += 1) m[i] = view.getUint32(offset + i * 4, true);
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i += 1) {
      let f;
      let g;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      const sum = (a + f + MD5_K[i] + m[g]) >>> 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << MD5_SHIFTS[i]) | (sum >>> (32 - MD5_SHIFTS[i])))) >>> 0;
    }
    a0 = (a0 + a) >>> 0;
    b0 = (b0 + b) >>> 0;
    c0 = (c0 + c) >>> 0;
    d0 = (d0 + d) >>> 0;
  }
  return toHex([a0, b0, c0, d0], true);
}

const SHA256_K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

function rotr(x, n) {
  return (x >>> n) | (x << (32 - n));
}

// SHA-256 (FIPS 180-4) in plain JavaScript, for where crypto.subtle is missing: browsers offer
// it only in a secure context (https, or http on localhost/127.0.0.1), so a LeakCase reached
// over plain http on another address would otherwise have no SHA-256.
export function sha256HexPlain(bytes) {
  const view = padded(bytes, false);
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  for (let offset = 0; offset < view.byteLength; offset += 64) {
    for (let i = 0; i < 16; i += 1) w[i] = view.getUint32(offset + i * 4, false);
    for (let i = 16; i < 64; i += 1) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i += 1) {
      const t1 =
        (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[i] + w[i]) >>>
        0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  return toHex(h, false);
}

export async function sha256Hex(bytes) {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) return sha256HexPlain(bytes);
  const digest = new Uint8Array(await subtle.digest("SHA-256", bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// All four from the file's bytes and its decoded, upright RGBA pixels.
export async function fingerprints(bytes, rgba, width, height) {
  const grey = luma(rgba, width, height);
  return {
    phash: phashHex(grey, width, height),
    dhash: dhashHex(grey, width, height),
    md5: md5Hex(bytes),
    sha256: await sha256Hex(bytes),
  };
}
