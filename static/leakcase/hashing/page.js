// "Images to find" (templates/evidence/references.html): the picture she chooses is
// fingerprinted on her device by worker.js, and only the fingerprints are sent, through the
// page's second form, which has no file input. The file input loses its name, so no form
// can carry the picture unless she asks for that: by ticking "keep an encrypted copy", or
// with "Send the picture once instead" when this browser cannot read the picture.
// Without this script (or without Web Workers, OffscreenCanvas or createImageBitmap) the
// page stays as the server wrote it: the picture is sent once, and the page says so.

// Her language: Django's catalog (/jsi18n/, loaded by base.html before this module runs),
// looked up when a word is shown; the English source where it did not load.
function gettext(text) {
  return window.gettext ? window.gettext(text) : text;
}

const STAGES = {
  reading: [1, () => gettext("Reading the picture…")],
  decoding: [2, () => gettext("Looking at the picture…")],
  fingerprints: [3, () => gettext("Working out its fingerprints…")],
};

const PROBLEMS = {
  unreadable: () =>
    gettext(
      "This browser cannot read this picture (it may be a HEIC photo, or not a picture at all), so its fingerprints cannot be worked out on your device."
    ),
  "too-many-pixels": () =>
    gettext(
      "This picture is too large: it has more pixels than the 50 million we accept. Please choose a smaller copy."
    ),
  "too-many-bytes": () => gettext("This file is too large to add. Please choose a smaller copy."),
  failed: () =>
    gettext(
      "Your device could not work out this picture's fingerprints (it may have run out of memory)."
    ),
  "no-file": () => gettext("Choose a picture first."),
};

function canHashHere() {
  return (
    typeof Worker === "function" &&
    typeof OffscreenCanvas === "function" &&
    typeof createImageBitmap === "function"
  );
}

function hashInWorker(workerUrl, file, maxPixels, onStage) {
  return new Promise((resolve) => {
    const worker = new Worker(workerUrl, { type: "module" });
    worker.addEventListener("message", (event) => {
      if (event.data.stage) {
        onStage(event.data.stage);
        return;
      }
      worker.terminate();
      resolve(event.data);
    });
    worker.addEventListener("error", () => {
      worker.terminate();
      resolve({ error: "failed" });
    });
    worker.postMessage({ file, maxPixels });
  });
}

function setUp(form) {
  const fingerprintsForm = document.querySelector("[data-fingerprints-form]");
  const input = form.querySelector("input[type=file]");
  if (!fingerprintsForm || !input) return;
  const keepCopy = form.querySelector("input[name=keep_copy]");
  const label = form.querySelector("input[name=label]");
  const progress = form.querySelector("[data-hash-progress]");
  const bar = progress.querySelector("progress");
  const stage = progress.querySelector("[data-hash-stage]");
  const problem = form.querySelector("[data-hash-error]");
  const problemText = form.querySelector("[data-hash-error-text]");
  const sendInstead = form.querySelector("[data-hash-send-instead]");
  const fieldName = input.name;

  document.querySelectorAll("[data-with-script]").forEach((element) => {
    element.hidden = false;
  });
  document.querySelectorAll("[data-without-script]").forEach((element) => {
    element.hidden = true;
  });
  // Without a name the file is never part of a form's data.
  input.removeAttribute("name");
  input.required = true;

  function sendPicture() {
    input.name = fieldName;
    form.requestSubmit();
  }

  function showProblem(reason) {
    progress.hidden = true;
    problemText.textContent = (PROBLEMS[reason] || PROBLEMS.failed)();
    // Only where sending it is what she may want: an unreadable picture, not a huge one.
    sendInstead.hidden = !(reason === "unreadable" || reason === "failed");
    problem.hidden = false;
    problem.focus();
  }

  sendInstead.querySelector("button").addEventListener("click", sendPicture);

  form.addEventListener("submit", async (event) => {
    // Keeping a copy means sending the picture: the ordinary upload (leakcase.js).
    if (keepCopy && keepCopy.checked) {
      input.name = fieldName;
      return;
    }
    if (input.name) return; // "Send the picture once instead"
    event.preventDefault();
    event.stopPropagation(); // not leakcase.js's upload: nothing is uploaded
    if (form.hasAttribute("data-hashing")) return;
    const file = input.files && input.files[0];
    if (!file) {
      showProblem("no-file");
      return;
    }
    if (file.size > Number(form.dataset.maxBytes)) {
      showProblem("too-many-bytes");
      return;
    }
    form.setAttribute("data-hashing", "");
    problem.hidden = true;
    progress.hidden = false;
    const answer = await hashInWorker(
      form.dataset.worker,
      file,
      Number(form.dataset.maxPixels),
      (name) => {
        const [value, words] = STAGES[name];
        bar.value = value;
        stage.textContent = words();
      },
    );
    form.removeAttribute("data-hashing");
    if (answer.error) {
      showProblem(answer.error);
      return;
    }
    const values = answer.result;
    for (const name of ["phash", "dhash", "md5", "sha256", "pdq", "pdq_quality"]) {
      const field = fingerprintsForm.querySelector(`[name=${name}]`);
      field.value = values[name] === undefined ? "" : String(values[name]);
    }
    fingerprintsForm.querySelector("[name=label]").value = label ? label.value : "";
    stage.textContent = gettext("Sending the fingerprints…");
    fingerprintsForm.requestSubmit();
  });
}

if (canHashHere()) {
  document.querySelectorAll("form[data-hash-in-browser]").forEach(setUp);
}
