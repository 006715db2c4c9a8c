// The Copy button of a request's copy-ready notice text. Without this script the text is
// still there to select in its read-only box; the button shows only where it works.
(function () {
  "use strict";

  // Her language: Django's catalog (/jsi18n/, loaded first by base.html), looked up when a
  // word is shown; the English source where it did not load.
  function gettext(text) {
    return window.gettext ? window.gettext(text) : text;
  }

  function say(button, text) {
    var status = button.parentNode.querySelector("[data-copy-status]");
    if (status) status.textContent = text;
  }

  function copy(button) {
    var box = document.getElementById(button.getAttribute("data-copy-target"));
    if (!box) return;
    box.focus();
    box.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(
        function () { say(button, gettext("Copied.")); },
        function () { say(button, gettext("Selected: press Ctrl+C (or Cmd+C) to copy.")); }
      );
      return;
    }
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    say(button, done ? gettext("Copied.") : gettext("Selected: press Ctrl+C (or Cmd+C) to copy."));
  }

  function init() {
    var buttons = document.querySelectorAll("[data-copy-target]");
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener("click", function (event) { copy(event.currentTarget); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
