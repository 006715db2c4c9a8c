// Marking the photo inside a screenshot by dragging a rectangle on the blurred picture, with a
// mouse, a pen or a finger (pointer events). The drag fills the four number boxes of the form
// (in the picture's own pixels), which stay behind "Type the edges instead" for the keyboard;
// without this script they are all there is. Vendored, no library: a dozen lines of pointer
// handling do not need one.
(function () {
  "use strict";

  // Her language: Django's catalog (/jsi18n/, loaded first by base.html), looked up when a
  // word is shown; the English source where it did not load.
  function gettext(text) {
    return window.gettext ? window.gettext(text) : text;
  }
  function interpolate(format, values) {
    return format.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  }

  function setUp(form) {
    var surface = form.querySelector("[data-crop-surface]");
    var frame = form.querySelector("[data-crop-frame]");
    var box = form.querySelector("[data-crop-box]");
    var status = form.querySelector("[data-crop-status]");
    var typed = form.querySelector("[data-crop-typed]");
    var width = Number(form.getAttribute("data-width"));
    var height = Number(form.getAttribute("data-height"));
    var inputs = {};
    ["left", "top", "right", "bottom"].forEach(function (name) {
      inputs[name] = form.querySelector("input[name=" + name + "]");
    });
    if (!surface || !frame || !inputs.left || !width || !height) return;
    surface.hidden = false;
    // With errors on the typed edges, the disclosure stays open so she sees them.
    if (!form.querySelector(".error, [aria-invalid=true]")) typed.open = false;

    var start = null;

    function point(event) {
      var rect = frame.getBoundingClientRect();
      return {
        x: Math.min(Math.max(event.clientX - rect.left, 0), rect.width),
        y: Math.min(Math.max(event.clientY - rect.top, 0), rect.height),
        rect: rect,
      };
    }

    function draw(a, b) {
      box.hidden = false;
      box.style.left = Math.min(a.x, b.x) + "px";
      box.style.top = Math.min(a.y, b.y) + "px";
      box.style.width = Math.abs(a.x - b.x) + "px";
      box.style.height = Math.abs(a.y - b.y) + "px";
    }

    function fill(a, b) {
      // Shown size -> the picture's pixels.
      var sx = width / b.rect.width;
      var sy = height / b.rect.height;
      var edges = {
        left: Math.round(Math.min(a.x, b.x) * sx),
        top: Math.round(Math.min(a.y, b.y) * sy),
        right: Math.round(Math.max(a.x, b.x) * sx),
        bottom: Math.round(Math.max(a.y, b.y) * sy),
      };
      edges.right = Math.min(edges.right, width);
      edges.bottom = Math.min(edges.bottom, height);
      Object.keys(edges).forEach(function (name) { inputs[name].value = edges[name]; });
      status.textContent = interpolate(
        gettext("Area marked: %(width)s × %(height)s pixels, from %(left)s, %(top)s. Drag again to change it."),
        {
          width: edges.right - edges.left,
          height: edges.bottom - edges.top,
          left: edges.left,
          top: edges.top,
        }
      );
    }

    frame.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      event.preventDefault();
      frame.setPointerCapture(event.pointerId);
      start = point(event);
      draw(start, start);
    });
    frame.addEventListener("pointermove", function (event) {
      if (!start) return;
      draw(start, point(event));
    });
    function finish(event) {
      if (!start) return;
      var end = point(event);
      draw(start, end);
      fill(start, end);
      start = null;
    }
    frame.addEventListener("pointerup", finish);
    frame.addEventListener("pointercancel", function () { start = null; });
  }

  function run() {
    document.querySelectorAll("form[data-crop-form]").forEach(setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
