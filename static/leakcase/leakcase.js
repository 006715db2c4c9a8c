// LeakCase's only script: quick exit, and revealing blurred evidence and blurring it again.
// Pages work without it.
(function () {
  "use strict";

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
      img.alt = "The screenshot, revealed";
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
})();
