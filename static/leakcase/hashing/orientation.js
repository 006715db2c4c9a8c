// EXIF orientation, as the server applies it (ImageOps.exif_transpose), whatever the browser
// does. Browsers differ: Chromium 156 turns JPEGs and PNGs upright in createImageBitmap (even
// when asked for imageOrientation "none") but leaves WebPs as stored. So the worker reads the
// orientation from the file itself, asks the browser once per format with a 2x1 probe
// picture whether it turns that format, and turns the pixels itself where it does not.

// 2 x 1 px pictures tagged orientation 6 (made with Pillow): a browser that applies the tag
// decodes them as 1 x 2.
const PROBES = {
  jpeg:
    "/9j/4AAQSkZJRgABAQAAAQABAAD/4QAiRXhpZgAATU0AKgAAAAgAAQESAAMAAAABAAYAAAAAAAD/2wBDABALDA4MChAO" +
    "DQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8a" +
    "Gi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAABAAIDASIA" +
    "AhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIh" +
    "MUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZn" +
    "aGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl" +
    "5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3" +
    "AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RV" +
    "VldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU" +
    "1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwAooooA/9k=",
  png:
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAGmVYSWZNTQAqAAAACAABARIAAwAAAAEABgAAAAAAANZn" +
    "S2kAAAAPSURBVHicY2xoaGBgYAAAB44BguWmdUQAAAAASUVORK5CYII=",
  webp:
    "UklGRlIAAABXRUJQVlA4WAoAAAAIAAAAAQAAAAAAVlA4TBEAAAAvAQAAAAdQwAIWsP+BiOh/AABFWElGGgAAAE1NACoA" +
    "AAAIAAEBEgADAAAAAQAGAAAAAAAA",
};

const ascii = (bytes, start, length) =>
  String.fromCharCode(...bytes.subarray(start, start + length));

// The orientation tag (0x0112) of IFD0 in a TIFF structure (EXIF's), or 1.
function tiffOrientation(bytes, start) {
  if (start + 8 > bytes.length) return 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, bytes.length - start);
  const order = ascii(bytes, start, 2);
  if (order !== "II" && order !== "MM") return 1;
  const little = order === "II";
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > view.byteLength) return 1;
  const entries = view.getUint16(ifd, little);
  for (let i = 0; i < entries; i += 1) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > view.byteLength) return 1;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

// EXIF blocks may start with "Exif\0\0" (JPEG always; WebP sometimes).
function exifBlockOrientation(bytes, start) {
  const skip = ascii(bytes, start, 6) === "Exif\0\0" ? 6 : 0;
  return tiffOrientation(bytes, start + skip);
}

// {format, orientation} of a JPEG, PNG or WebP file's bytes; format null for anything else.
export function fileOrientation(bytes) {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    let at = 2;
    while (at + 4 <= bytes.length && bytes[at] === 0xff) {
      const marker = bytes[at + 1];
      const length = (bytes[at + 2] << 8) | bytes[at + 3];
      if (marker === 0xda) break; // image data: no more headers
      if (marker === 0xe1 && ascii(bytes, at + 4, 6) === "Exif\0\0") {
        return { format: "jpeg", orientation: exifBlockOrientation(bytes, at + 4) };
      }
      at += 2 + length;
    }
    return { format: "jpeg", orientation: 1 };
  }
  if (ascii(bytes, 1, 3) === "PNG") {
    let at = 8;
    while (at + 8 <= bytes.length) {
      const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);
      const kind = ascii(bytes, at + 4, 4);
      if (kind === "eXIf") return { format: "png", orientation: exifBlockOrientation(bytes, at + 8) };
      if (kind === "IDAT" || kind === "IEND") break;
      at += 12 + length;
    }
    return { format: "png", orientation: 1 };
  }
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") {
    let at = 12;
    while (at + 8 <= bytes.length) {
      const length = new DataView(bytes.buffer, bytes.byteOffset + at + 4, 4).getUint32(0, true);
      if (ascii(bytes, at, 4) === "EXIF") {
        return { format: "webp", orientation: exifBlockOrientation(bytes, at + 8) };
      }
      at += 8 + length + (length % 2);
    }
    return { format: "webp", orientation: 1 };
  }
  return { format: null, orientation: 1 };
}

const turnsFormat = {};

// Whether this browser's createImageBitmap applies the EXIF orientation of this format.
export async function browserTurns(format) {
  if (!(format in turnsFormat)) {
    const bytes = Uint8Array.from(atob(PROBES[format]), (c) => c.charCodeAt(0));
    try {
      const bitmap = await createImageBitmap(new Blob([bytes]), { imageOrientation: "from-image" });
      turnsFormat[format] = bitmap.width === 1 && bitmap.height === 2;
      bitmap.close();
    } catch {
      turnsFormat[format] = true; // cannot tell: trust the browser
    }
  }
  return turnsFormat[format];
}

// The pixels turned as Pillow's exif_transpose turns them for `orientation` (1-8).
export function turned(rgba, width, height, orientation) {
  if (orientation === 1) return { rgba, width, height };
  const swaps = orientation >= 5;
  const outWidth = swaps ? height : width;
  const outHeight = swaps ? width : height;
  const source = new Uint32Array(rgba.buffer, rgba.byteOffset, width * height);
  const out = new Uint32Array(outWidth * outHeight);
  // For each output pixel (x, y), the source pixel it comes from.
  const from = {
    2: (x, y) => y * width + (width - 1 - x), // FLIP_LEFT_RIGHT
    3: (x, y) => (height - 1 - y) * width + (width - 1 - x), // ROTATE_180
    4: (x, y) => (height - 1 - y) * width + x, // FLIP_TOP_BOTTOM
    5: (x, y) => x * width + y, // TRANSPOSE
    6: (x, y) => (height - 1 - x) * width + y, // ROTATE_270 (a quarter turn clockwise)
    7: (x, y) => (height - 1 - x) * width + (width - 1 - y), // TRANSVERSE
    8: (x, y) => x * width + (width - 1 - y), // ROTATE_90 (a quarter turn anticlockwise)
  }[orientation];
  for (let y = 0; y < outHeight; y += 1) {
    for (let x = 0; x < outWidth; x += 1) out[y * outWidth + x] = source[from(x, y)];
  }
  return { rgba: new Uint8ClampedArray(out.buffer), width: outWidth, height: outHeight };
}
