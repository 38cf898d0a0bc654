/* The learner pages' clocks (no inline scripts: the Content-Security-Policy refuses them).

   <time data-countdown="ISO" data-now="ISO" data-fmt-days=… data-fmt-hours=… data-fmt-minutes=…>
   keeps counting down, in the shapes the server rendered it with (translated there).
   <div data-reload-at="ISO" data-now="ISO">: the page reloads once that moment comes (进入课堂
   opens 15 minutes before a lesson and closes at its end; the server decides what shows).
   Times are measured against the server's clock ("now" in the page), not the phone's. */
(function () {
  "use strict";

  function offset(element) {
    // How far the phone's clock is from the server's, from the moment the page was rendered.
    var server = Date.parse(element.dataset.now);
    return isNaN(server) ? 0 : server - loadedAt;
  }

  function fill(format, values) {
    return format.replace(/%\((\w)\)s/g, function (_match, key) { return values[key]; });
  }

  function text(element, seconds) {
    var total = Math.max(Math.floor(seconds), 0);
    var d = Math.floor(total / 86400), h = Math.floor((total % 86400) / 3600);
    var m = Math.floor((total % 3600) / 60), s = total % 60;
    if (d) return fill(element.dataset.fmtDays, { d: d, h: h });
    if (h) return fill(element.dataset.fmtHours, { h: h, m: m });
    return fill(element.dataset.fmtMinutes, { m: m, s: (s < 10 ? "0" : "") + s });
  }

  var loadedAt = Date.now();
  var clocks = [], reloads = [];
  document.querySelectorAll("[data-countdown]").forEach(function (element) {
    clocks.push({ element: element, at: Date.parse(element.dataset.countdown), skew: offset(element) });
  });
  document.querySelectorAll("[data-reload-at]").forEach(function (element) {
    var at = Date.parse(element.dataset.reloadAt);
    // Only a change that happens while the page is open: never a reload loop.
    if (!isNaN(at) && at > loadedAt + offset(element)) reloads.push({ at: at, skew: offset(element) });
  });
  if (!clocks.length && !reloads.length) return;

  var reloading = false;
  function tick() {
    var phone = Date.now();
    clocks.forEach(function (clock) {
      if (isNaN(clock.at)) return;
      var next = text(clock.element, (clock.at - (phone + clock.skew)) / 1000);
      if (clock.element.textContent !== next) clock.element.textContent = next;
    });
    if (!reloading && reloads.some(function (r) { return phone + r.skew >= r.at; })) {
      reloading = true;
      window.location.reload();
    }
  }
  tick();
  window.setInterval(tick, 1000);
})();
