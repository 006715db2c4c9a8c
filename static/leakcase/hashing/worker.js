// The Web Worker that fingerprints a picture on her device (issue 17), so the page stays
// responsive while a 12 MP photo is decoded and hashed. It receives {file, maxPixels} and
// answers {stage} messages while it works, then {result} or {error: reason}.
//
// Decoding: createImageBitmap with imageOrientation "from-image", the pixels from an
// OffscreenCanvas; the picture upright as its EXIF orientation says, as the server's
// ImageOps.exif_transpose makes it (orientation.js: where the browser does not turn a format,
// the worker does). Nothing here sends anything anywhere.

import { fingerprints } from "./hashes.js";
import { browserTurns, fileOrientation, turned } from "./orientation.js";
import { pdqOf } from "./pdq.js";

async function decode(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return null;
  }
}

async function fingerprint(file, maxPixels) {
  postMessage({ stage: "reading" });
  const bytes = new Uint8Array(await file.arrayBuffer());
  postMessage({ stage: "decoding" });
  const bitmap = await decode(file);
  if (bitmap === null) return { error: "unreadable" };
  const { width, height } = bitmap;
  if (width * height > maxPixels) {
    bitmap.close();
    return { error: "too-many-pixels" };
  }
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  let picture = { rgba: context.getImageData(0, 0, width, height).data, width, height };
  const { format, orientation } = fileOrientation(bytes);
  if (format && orientation !== 1 && !(await browserTurns(format))) {
    picture = turned(picture.rgba, width, height, orientation);
  }
  postMessage({ stage: "fingerprints" });
  const result = await fingerprints(bytes, picture.rgba, picture.width, picture.height);
  const { hash, quality } = pdqOf(picture.rgba, picture.width, picture.height);
  result.pdq = hash;
  result.pdq_quality = quality;
  result.width = picture.width;
  result.height = picture.height;
  return { result };
}

self.addEventListener("message", async (event) => {
  const { file, maxPixels } = event.data;
  try {
    postMessage(await fingerprint(file, maxPixels));
  } catch (error) {
    // Out of memory on a huge picture, mostly. The reason is for the page, never logged.
    postMessage({ error: "failed", detail: String(error && error.message) });
  }
});
