// Email settings: offer the time zone the browser reports, so "Monday 09:00" is her 09:00.
// Nothing is sent anywhere; it only fills in the form when she presses the button.
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

  // After the deferred scripts, the language catalog among them (this one is not deferred).
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("id_time_zone");
    var hint = document.getElementById("browser-time-zone");
    if (!select || !hint || !window.Intl) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || zone === select.value) return;
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
    if (!known) return;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = interpolate(gettext("Use this device's time zone (%(zone)s)"), { zone: zone });
    button.addEventListener("click", function () {
      select.value = zone;
      hint.hidden = true;
      select.focus();
    });
    hint.appendChild(button);
    hint.hidden = false;
  });
})();
