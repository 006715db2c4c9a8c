// LeakCase's only script: quick exit and revealing blurred evidence. Pages work without it.
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
      img.src = img.getAttribute("data-reveal-src");
      img.alt = "The screenshot, revealed";
      img.setAttribute("data-state", "revealed");
      card.classList.add("revealed");
      var warning = card.querySelector(".content-warning");
      if (warning) warning.hidden = true;
      img.setAttribute("tabindex", "-1");
      img.focus();
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
