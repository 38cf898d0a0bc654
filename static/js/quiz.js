/* onepco — the online test's taking screen (learner/quiz_take.html).

   - Every answer goes to the server as it is given (a tap at once, typing after a short pause),
     so a dropped connection or a closed tab loses nothing; an answer that could not be sent
     waits on this phone (localStorage) and is sent again when the connection is back.
   - The countdown counts down from the seconds the server gave with the page (not this phone's
     clock) and hands the test in at zero. The server keeps the deadline too: answers after it
     are refused (409) and an attempt past its time is handed in by the server itself.
   - One question a screen: the other questions are hidden, Previous / Next and the numbers move
     between them, and the address (#q3) keeps the place through a reload.
   Without this script the form still works: every question on one page, handed in by the button. */
(function () {
  "use strict";

  var form = document.getElementById("quiz-form");
  if (!form) return;
  var status = document.getElementById("quiz-status");
  var progress = document.getElementById("quiz-progress");
  var clock = document.getElementById("quiz-clock");
  var steps = Array.prototype.slice.call(form.querySelectorAll(".quiz-step"));
  var storeKey = "onepco-quiz-" + form.dataset.attempt;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var pending = {};       // question id → true while its latest value is not on the server
  var timers = {};        // question id → the typing pause before sending
  var sending = {};       // question id → a request on its way
  var ended = false;

  function say(text, kind) {
    status.textContent = text;
    status.classList.toggle("is-error", kind === "error");
    status.classList.toggle("is-ok", kind === "ok");
  }

  function fieldsOf(step) {
    return Array.prototype.slice.call(step.querySelectorAll("input, textarea"));
  }

  function valuesOf(step) {
    return fieldsOf(step)
      .filter(function (el) { return el.tagName === "TEXTAREA" || el.checked; })
      .map(function (el) { return el.value; });
  }

  function isAnswered(step) {
    return valuesOf(step).some(function (value) { return value.trim() !== ""; });
  }

  function countAnswered() {
    var done = steps.filter(isAnswered).length;
    progress.textContent = form.dataset.msgAnswered.replace("{a}", done).replace("{b}", steps.length);
    var dots = document.querySelectorAll(".quiz-dot");
    steps.forEach(function (step, i) { if (dots[i]) dots[i].classList.toggle("is-answered", isAnswered(step)); });
  }

  // --- saving -------------------------------------------------------------------------------

  function remember() {
    var kept = {};
    Object.keys(pending).forEach(function (id) {
      var step = form.querySelector('.quiz-step[data-question="' + id + '"]');
      if (step) kept[id] = valuesOf(step);
    });
    try { window.localStorage.setItem(storeKey, JSON.stringify(kept)); } catch (e) { /* private mode */ }
  }

  function restore() {
    // Answers this phone could not send before a reload: put them back, then send them.
    var kept;
    try { kept = JSON.parse(window.localStorage.getItem(storeKey) || "{}"); } catch (e) { kept = {}; }
    Object.keys(kept).forEach(function (id) {
      var step = form.querySelector('.quiz-step[data-question="' + id + '"]');
      if (!step) return;
      fieldsOf(step).forEach(function (el) {
        if (el.tagName === "TEXTAREA") el.value = kept[id][0] || "";
        else el.checked = kept[id].indexOf(el.value) !== -1;
      });
      pending[id] = true;
    });
  }

  function send(id) {
    if (ended || sending[id]) return;
    var step = form.querySelector('.quiz-step[data-question="' + id + '"]');
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrf);
    body.append("question", id);
    valuesOf(step).forEach(function (value) { body.append("q" + id, value); });
    sending[id] = true;
    say(form.dataset.msgSaving);
    fetch(form.dataset.answerUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
    }).then(function (response) {
      return response.json().then(function (data) { return { code: response.status, data: data }; });
    }).then(function (reply) {
      sending[id] = false;
      if (reply.code === 200) {
        delete pending[id];
        remember();
        say(form.dataset.msgSaved + " " + reply.data.saved_at, "ok");
        if (reply.data.seconds_left !== null && reply.data.seconds_left !== undefined) setClock(reply.data.seconds_left);
      } else if (reply.code === 409) {
        end(reply.data.detail, reply.data.result_url);
      } else {
        delete pending[id];
        remember();
        var first = Object.values(reply.data)[0];
        say(form.dataset.msgRefused + " " + (Array.isArray(first) ? first[0] : first || reply.code), "error");
      }
      if (pending[id]) schedule(id, 0);  // changed again while this one was on its way
    }).catch(function () {
      sending[id] = false;
      say(form.dataset.msgOffline, "error");
      schedule(id, 5000);
    });
  }

  function schedule(id, wait) {
    clearTimeout(timers[id]);
    timers[id] = setTimeout(function () { send(id); }, wait);
  }

  function changed(el, wait) {
    var step = el.closest(".quiz-step");
    if (!step || ended) return;
    var id = step.dataset.question;
    pending[id] = true;
    remember();
    countAnswered();
    schedule(id, wait);
  }

  form.addEventListener("change", function (event) { changed(event.target, 0); });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA") changed(event.target, 800);
  });
  window.addEventListener("online", function () { Object.keys(pending).forEach(function (id) { schedule(id, 0); }); });
  window.addEventListener("beforeunload", function (event) {
    if (!ended && Object.keys(pending).length) { event.preventDefault(); event.returnValue = ""; }
  });
  form.addEventListener("submit", function () { ended = true; try { window.localStorage.removeItem(storeKey); } catch (e) { /* private mode */ } });

  function end(message, url) {
    if (ended) return;
    ended = true;
    say(message || form.dataset.msgEnded, "error");
    try { window.localStorage.removeItem(storeKey); } catch (e) { /* private mode */ }
    window.location.assign(url || form.dataset.resultUrl);
  }

  // --- the countdown ------------------------------------------------------------------------

  var endsAt = null;
  function setClock(seconds) { endsAt = Date.now() + seconds * 1000; }

  function tick() {
    if (endsAt === null || ended) return;
    var left = Math.max(0, Math.ceil((endsAt - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    clock.textContent = (h ? h + ":" + String(m).padStart(2, "0") : String(m).padStart(2, "0")) + ":" + String(s).padStart(2, "0");
    clock.classList.toggle("is-low", left <= 60);
    if (left === 0) {
      // Time is up: hand in what is in the form (the server takes what arrived in time).
      ended = true;
      say(form.dataset.msgEnded, "error");
      try { window.localStorage.removeItem(storeKey); } catch (e) { /* private mode */ }
      form.submit();
    }
  }

  if (clock) {
    setClock(parseInt(clock.dataset.secondsLeft, 10));
    tick();
    setInterval(tick, 500);
  }

  // --- one question a screen ----------------------------------------------------------------

  if (form.dataset.layout === "one" && steps.length > 1) {
    var dots = document.getElementById("quiz-dots");
    var current = 0;
    dots.hidden = false;
    form.querySelectorAll(".quiz-step-nav").forEach(function (nav) { nav.hidden = false; });

    var show = function (index, focus) {
      current = Math.max(0, Math.min(steps.length - 1, index));
      steps.forEach(function (step, i) { step.classList.toggle("is-hidden", i !== current); });
      document.querySelectorAll(".quiz-dot").forEach(function (dot, i) {
        dot.classList.toggle("is-current", i === current);
        if (i === current) dot.setAttribute("aria-current", "step"); else dot.removeAttribute("aria-current");
      });
      if (window.history.replaceState) window.history.replaceState(null, "", "#q" + (current + 1));
      if (focus) {
        steps[current].scrollIntoView({ block: "nearest" });
        var first = steps[current].querySelector("input, textarea");
        if (first) first.focus({ preventScroll: true });
      }
    };

    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-step], [data-go]");
      if (!button) return;
      if (button.dataset.go !== undefined) show(parseInt(button.dataset.go, 10), true);
      else show(current + parseInt(button.dataset.step, 10), true);
    });
    var fromAddress = /^#q(\d+)$/.exec(window.location.hash);
    show(fromAddress ? parseInt(fromAddress[1], 10) - 1 : 0, false);
  }

  restore();
  countAnswered();
  Object.keys(pending).forEach(function (id) { schedule(id, 0); });
})();
