/* CodeCourses pages: the code editor with per-user drafts, the exam countdown, logout hygiene.

   Every page works without this script (plain forms and textareas); it only enhances them.
   - <textarea data-editor data-draft-scope="problem:12" data-language-select="#id_language">
     becomes an ACE editor (from the django-ace package). Its text is kept as a draft in this
     browser under the user, the scope and the language, so a reload loses nothing. Starter code
     per language comes from <script type="application/json" id="starter-code">.
   - <span data-countdown data-deadline="ISO" data-server-now="ISO"> counts down to the server's
     deadline (corrected for this clock's offset from the server's); at zero it says time is up
     and disables [data-disable-when-expired]. The server enforces the deadline; this only shows it.
   - Logging out (a form with data-logout) removes every draft from this browser, so a shared
     computer shows no one else's code.
   - [data-load-code="#element-id"] puts that element's text into the page's editor.
   - A form with data-confirm="question" asks it before it is sent (leaving a course, removing a
     student): one click cannot undo what several would be needed to redo. */
(function () {
  "use strict";

  var DRAFT_PREFIX = "codecourses:draft:";
  var ACE_BASE = document.currentScript
    ? document.currentScript.src.replace(/web\/app\.js.*$/, "django_ace/ace")
    : "/static/django_ace/ace";
  var MODES = { python: "python", c: "c_cpp", cpp: "c_cpp", javascript: "javascript", java: "java" };
  var editors = [];

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function draftKey(textarea, language) {
    var user = document.body.dataset.userId || "anonymous";
    return DRAFT_PREFIX + user + ":" + textarea.dataset.draftScope + ":" + language;
  }

  function starterCode(language) {
    var node = document.getElementById("starter-code");
    if (!node) return "";
    try { return JSON.parse(node.textContent)[language] || ""; } catch (e) { return ""; }
  }

  function loadAce(callback) {
    if (window.ace) { callback(); return; }
    var script = document.createElement("script");
    script.src = ACE_BASE + "/ace.js";
    script.onload = callback;
    document.head.appendChild(script);
  }

  function enhance(textarea) {
    var select = textarea.dataset.languageSelect
      ? document.querySelector(textarea.dataset.languageSelect) : null;
    var language = select ? select.value : (textarea.dataset.language || "python");
    var store = storage();
    var draft = store && textarea.dataset.draftScope ? store.getItem(draftKey(textarea, language)) : null;
    if (draft !== null && !textarea.dataset.keepValue) textarea.value = draft;
    else if (!textarea.value) textarea.value = starterCode(language);

    var holder = document.createElement("div");
    holder.className = "editor";
    textarea.insertAdjacentElement("afterend", holder);
    textarea.hidden = true;

    window.ace.config.set("basePath", ACE_BASE);
    var editor = window.ace.edit(holder, {
      mode: "ace/mode/" + (MODES[language] || "text"),
      value: textarea.value,
      tabSize: 4,
      useSoftTabs: true,
      fontSize: "14px",
      // Tab leaves the editor until Enter is pressed on it: the page stays usable by keyboard.
      enableKeyboardAccessibility: true,
    });
    var label = document.querySelector('label[for="' + textarea.id + '"]');
    editor.textInput.getElement().setAttribute("aria-label", label ? label.textContent.trim() : "Code");
    editor.session.on("change", function () {
      textarea.value = editor.getValue();
      if (store && textarea.dataset.draftScope) {
        store.setItem(draftKey(textarea, language), textarea.value);
      }
    });
    if (select) {
      select.addEventListener("change", function () {
        language = select.value;
        var saved = store && textarea.dataset.draftScope ? store.getItem(draftKey(textarea, language)) : null;
        editor.session.setMode("ace/mode/" + (MODES[language] || "text"));
        editor.setValue(saved !== null ? saved : starterCode(language), -1);
      });
    }
    editors.push(editor);
  }

  function clearDrafts() {
    var store = storage();
    if (!store) return;
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf(DRAFT_PREFIX) === 0) store.removeItem(key);
    }
  }

  function formatRemaining(ms) {
    var total = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h ? h + ":" + two(m) : m) + ":" + two(s);
  }

  function startCountdown(node) {
    var deadline = Date.parse(node.dataset.deadline);
    var offset = Date.parse(node.dataset.serverNow) - Date.now();
    var announced = false;
    function tick() {
      var left = deadline - (Date.now() + offset);
      if (left <= 0) {
        node.textContent = "Time is up. This attempt no longer accepts submissions.";
        node.classList.add("expired");
        document.querySelectorAll("[data-disable-when-expired]").forEach(function (el) {
          el.disabled = true;
          // Disabled for good: a request in flight (hx-disabled-elt) must not enable it again.
          el.removeAttribute("data-disabled-by-htmx");
        });
        if (!announced) {
          announced = true;
          var live = document.getElementById("countdown-status");
          if (live) live.textContent = "Time is up.";
        }
        return;
      }
      node.textContent = "Time left: " + formatRemaining(left);
      window.setTimeout(tick, 1000 - ((Date.now() + offset) % 1000));
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-logout]").forEach(function (form) {
      form.addEventListener("submit", clearDrafts);
    });
    document.addEventListener("submit", function (event) {
      var question = event.target.dataset && event.target.dataset.confirm;
      if (question && !window.confirm(question)) event.preventDefault();
    }, true);
    document.querySelectorAll("[data-countdown]").forEach(startCountdown);
    var areas = document.querySelectorAll("textarea[data-editor]");
    if (areas.length) loadAce(function () { areas.forEach(enhance); });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-load-code]");
      if (!button || !editors.length) return;
      var source = document.querySelector(button.dataset.loadCode);
      if (source) {
        editors[0].setValue(source.textContent, -1);
        editors[0].focus();
      }
    });
  });
})();
