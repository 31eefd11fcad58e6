/* CodeCourses admin, problem authoring (W6). Everything here enhances what works without it.

   - The ACE editors of django-ace (courses.admin_fields.CodeWidget) start on window load; this
     then names each one after its field's label (screen readers), lets Tab reach and leave it
     (Enter starts editing, Escape stops: keyboard users), and makes a reference solution's
     editor follow its language select.
   - "Preview statement" (StatementWidget) and "Preview the split" (TestsCodeWidget) post the
     field's text with the CSRF token and show the server's HTML under the field, instead of
     the preview page in a new tab that the button opens without JavaScript. */
(function () {
  "use strict";

  var MODES = { python: "python", c: "c_cpp", cpp: "c_cpp", javascript: "javascript", java: "java" };

  function textareaOf(widget) {
    var node = widget.nextElementSibling;
    while (node && node.tagName !== "TEXTAREA") node = node.nextElementSibling;
    return node;
  }

  function enhanceEditor(widget) {
    var editor = widget.editor;
    if (!editor || widget.dataset.enhanced) return;
    widget.dataset.enhanced = "1";
    var textarea = textareaOf(widget);
    var label = textarea ? document.querySelector('label[for="' + textarea.id + '"]') : null;
    var name = label ? label.textContent.replace(/:\s*$/, "").trim() : "Code";
    editor.setOption("enableKeyboardAccessibility", true);
    editor.textInput.getElement().setAttribute("aria-label", name);
    // What Tab reaches first is the editor's content: say which field it is.
    editor.renderer.scroller.setAttribute(
      "aria-label", name + ": editor content, press Enter to start editing, press Escape to exit"
    );
    var row = widget.closest(".inline-related");
    var select = row ? row.querySelector('select[name$="-language"]') : null;
    if (select) {
      select.addEventListener("change", function () {
        editor.session.setMode("ace/mode/" + (MODES[select.value] || "text"));
      });
    }
  }

  function enhanceEditors() {
    document.querySelectorAll(".django-ace-widget").forEach(enhanceEditor);
  }

  function showPreview(button) {
    var source = document.getElementById(button.dataset.preview);
    var panel = document.getElementById(button.dataset.preview + "-preview");
    var token = button.form ? button.form.querySelector('input[name="csrfmiddlewaretoken"]') : null;
    if (!source || !panel || !token) return false;
    var body = new FormData();
    body.append(button.dataset.previewField, source.value);
    panel.hidden = false;
    panel.textContent = "Loading the preview…";
    fetch(button.formAction, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", "X-CSRFToken": token.value },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("the server answered " + response.status);
        return response.text();
      })
      .then(function (html) {
        panel.innerHTML = html; // escaped or sanitised by the server (admin_views)
      })
      .catch(function (error) {
        panel.textContent = "The preview could not be shown: " + error.message + ".";
      });
    return true;
  }

  window.addEventListener("load", function () {
    window.setTimeout(enhanceEditors, 0);
  });
  document.addEventListener("formset:added", function () {
    window.setTimeout(enhanceEditors, 0);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-preview]");
    if (button && showPreview(button)) event.preventDefault();
  });
})();
