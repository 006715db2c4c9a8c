// LeakCase's only script: quick exit; revealing blurred evidence and blurring it again; the
// result of her last form brought to the top of her screen; submit buttons held while a form
// is sent; upload progress. Pages work without it (the server refuses a form sent twice
// anyway: leakcase/forms.py).
(function () {
  "use strict";

  // Her language: Django's catalog (/jsi18n/, loaded first by base.html), looked up when a
  // word is shown; the English source where it did not load.
  function gettext(text) {
    return window.gettext ? window.gettext(text) : text;
  }

  function quickExit(url) {
    // replace(): the back button must not return to this site.
    window.location.replace(url);
  }

  document.addEventListener("click", function (event) {
    var exit = event.target.closest("[data-quick-exit]");
    if (exit) {
      event.preventDefault();
      quickExit(exit.href);
      return;
    }
    var reveal = event.target.closest("[data-reveal]");
    if (reveal) {
      var card = reveal.closest("[data-evidence]");
      var img = card && card.querySelector("img[data-reveal-src]");
      if (!img) return;
      event.preventDefault();
      // Kept to put back on "Blur it again".
      img.setAttribute("data-preview-src", img.getAttribute("src"));
      img.setAttribute("data-preview-alt", img.alt);
      img.src = img.getAttribute("data-reveal-src");
      img.alt = gettext("The screenshot, revealed");
      img.setAttribute("data-state", "revealed");
      card.classList.add("revealed");
      var warning = card.querySelector(".content-warning");
      if (warning) warning.hidden = true;
      var blurAgain = card.querySelector(".blur-again");
      if (blurAgain) blurAgain.hidden = false;
      img.setAttribute("tabindex", "-1");
      img.focus();
      return;
    }
    // Someone comes into the room: the image goes back behind its warning at once, and the
    // revealed rendition is dropped from the page rather than only covered.
    var blur = event.target.closest("[data-blur-again]");
    if (blur) {
      var blurCard = blur.closest("[data-evidence]");
      var shown = blurCard && blurCard.querySelector("img[data-preview-src]");
      if (!shown) return;
      shown.src = shown.getAttribute("data-preview-src");
      shown.alt = shown.getAttribute("data-preview-alt");
      shown.setAttribute("data-state", "blurred");
      shown.removeAttribute("tabindex");
      blurCard.classList.remove("revealed");
      var cover = blurCard.querySelector(".content-warning");
      if (cover) cover.hidden = false;
      blur.closest(".blur-again").hidden = true;
      // Keyboard focus goes back to where she revealed it, not to the top of the page.
      var revealAgain = blurCard.querySelector("[data-reveal]");
      if (revealAgain) revealAgain.focus();
    }
  });

  function quickExitFromKeyboard() {
    var exit = document.querySelector("[data-quick-exit]");
    if (exit) quickExit(exit.href);
  }

  // Esc twice within a second leaves too: quicker than finding the button.
  var lastEscape = 0;
  // Shift three times in a row (nothing else pressed between, within 1.5 s) leaves as well:
  // the key other services for survivors use, reachable on any keyboard without looking.
  // Typing a capital letter presses another key after Shift, so it never counts.
  var SHIFT_PRESSES = 3;
  var SHIFT_WINDOW_MS = 1500;
  var shiftTimes = [];
  document.addEventListener("keydown", function (event) {
    var now = Date.now();
    if (event.key === "Shift") {
      if (event.repeat) return;
      shiftTimes.push(now);
      shiftTimes = shiftTimes.filter(function (t) { return now - t < SHIFT_WINDOW_MS; });
      if (shiftTimes.length >= SHIFT_PRESSES) {
        shiftTimes = [];
        quickExitFromKeyboard();
      }
      return;
    }
    shiftTimes = [];
    if (event.key !== "Escape") return;
    if (now - lastEscape < 1000) quickExitFromKeyboard();
    lastEscape = now;
  });

  // --- after a form: the result where she can see it --------------------------------
  // An error summary first (GOV.UK's pattern: focus moves to it, so a phone scrolls it into
  // view and a screen reader reads it), else a paste's result, else the page's messages.
  function showResult() {
    var target =
      document.querySelector("[data-error-summary]") ||
      document.querySelector("[data-result]") ||
      document.querySelector("[data-messages]");
    if (target) target.focus();
  }

  // A link in the error summary: to the field, focused, with its label in view.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    (label || field).scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
  });

  // --- sending a form -----------------------------------------------------------------
  function holdButtons(form, submitter) {
    // A disabled button's name/value is left out of what is sent: keep it in a hidden field.
    if (submitter && submitter.name) {
      var keep = document.createElement("input");
      keep.type = "hidden";
      keep.name = submitter.name;
      keep.value = submitter.value;
      form.appendChild(keep);
    }
    form.setAttribute("data-sending", "");
    form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]")
      .forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-disabled", "true");
      });
  }

  function releaseButtons(form) {
    form.removeAttribute("data-sending");
    form.querySelectorAll("button[disabled], input[type=submit][disabled]").forEach(function (b) {
      b.disabled = false;
      b.removeAttribute("aria-disabled");
    });
  }

  // An upload goes by XMLHttpRequest so she sees how far it is; the page it ends on (the
  // saved file, or the form with what to fix) then replaces this one.
  function sendWithProgress(form) {
    var progress = form.querySelector("[data-upload-progress]");
    var bar = progress && progress.querySelector("progress");
    var words = progress && progress.querySelector("[data-upload-percent]");
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable || !bar) return;
      var percent = Math.round((event.loaded / event.total) * 100);
      bar.value = percent;
      if (words) words.textContent = percent + "%";
    });
    request.addEventListener("load", function () {
      // The address first, so that the new page's relative addresses resolve against it.
      if (request.responseURL && request.responseURL !== window.location.href) {
        window.history.pushState(null, "", request.responseURL);
      }
      var page = new DOMParser().parseFromString(request.responseText, "text/html");
      document.replaceChild(document.adoptNode(page.documentElement), document.documentElement);
      start();
    });
    request.addEventListener("error", function () {
      // The connection dropped: send it the ordinary way (same token, so never twice).
      form.removeAttribute("data-progress-upload");
      releaseButtons(form);
      HTMLFormElement.prototype.submit.call(form);
    });
    if (progress) progress.hidden = false;
    request.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.method.toLowerCase() !== "post") return;
    if (form.hasAttribute("data-sending")) {
      event.preventDefault();
      return;
    }
    // FormData must be built before the buttons are disabled.
    var upload = form.hasAttribute("data-progress-upload") && window.FormData && window.DOMParser;
    if (upload) {
      event.preventDefault();
      holdButtons(form, event.submitter);
      sendWithProgress(form);
      return;
    }
    // A download leaves her on this page: nothing to hold the button for.
    if (form.hasAttribute("data-download")) return;
    holdButtons(form, event.submitter);
  });

  // Back to a page from the browser's cache: its forms may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sending]").forEach(releaseButtons);
  });

  function start() {
    showResult();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
