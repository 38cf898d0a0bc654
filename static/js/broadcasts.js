/* The broadcast composer: shows the filters of the chosen segment only, and the time field
   only when sending later. Without this script every field shows; the server ignores the
   ones the segment does not use. */
(function () {
  "use strict";

  function checked(name) {
    var input = document.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : "";
  }

  function sync() {
    var segment = checked("segment");
    document.querySelectorAll(".segment-fields").forEach(function (box) {
      box.hidden = box.dataset.segment.split(" ").indexOf(segment) < 0;
    });
    document.querySelectorAll("[data-when]").forEach(function (box) {
      box.hidden = box.dataset.when !== checked("when");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("composer")) return;
    document.getElementById("composer").addEventListener("change", sync);
    sync();
  });
})();
