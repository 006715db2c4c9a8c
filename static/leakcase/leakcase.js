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

  // Esc twice within a second leaves too: quicker than finding the button.
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 1000) {
      var exit = document.querySelector("[data-quick-exit]");
      if (exit) quickExit(exit.href);
    }
    lastEscape = now;
  });
})();
