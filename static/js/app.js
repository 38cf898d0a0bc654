/* onepco — the few behaviours pages need, wired by data attributes (no inline scripts: the
   Content-Security-Policy refuses them). Loaded on every page, deferred. */
(function () {
  "use strict";

  // <button data-copy="element-id" data-copied="Copied">: copies the element's value (an input)
  // or its text, and says so on the button.
  function copy(button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var text = "value" in source ? source.value : source.textContent;
    if (source.select) source.select();
    var done = function () { button.textContent = button.dataset.copied; };
    // Without the clipboard API (a plain-http address other than localhost) the input stays
    // selected for the person to copy themselves.
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, function () {});
  }

  // <button data-insert="text" data-insert-into="textarea-id">: inserts the text where the
  // cursor is (or at the end), on a line of its own, and keeps typing there.
  function insert(chip) {
    var box = document.getElementById(chip.dataset.insertInto);
    if (!box) return;
    var text = chip.dataset.insert;
    var start = box.selectionStart ?? box.value.length, end = box.selectionEnd ?? box.value.length;
    var before = box.value.slice(0, start), after = box.value.slice(end);
    var glue = before && !before.endsWith("\n") ? "\n" : "";
    box.value = before + glue + text + after;
    var at = (before + glue + text).length;
    box.focus();
    box.setSelectionRange(at, at);
  }

  // <button data-check-all="selector">: ticks every input the selector finds.
  function checkAll(button) {
    document.querySelectorAll(button.dataset.checkAll).forEach(function (input) { input.checked = true; });
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-copy], [data-insert], [data-check-all], [data-confirm]");
    if (!target) return;
    if (target.dataset.confirm !== undefined) {
      // <button data-confirm="Really?">: the action goes ahead only if the person says yes.
      if (!window.confirm(target.dataset.confirm)) event.preventDefault();
    } else if (target.dataset.copy !== undefined) copy(target);
    else if (target.dataset.insert !== undefined) insert(target);
    else checkAll(target);
  });
})();
