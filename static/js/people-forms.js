/* Resident-record forms: a form marked data-once is sent once. On a weak connection a second tap
   on 保存 would otherwise send it again (and create a household twice). */
(function () {
  "use strict";
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form[data-once]")) { return; }
    if (form.dataset.sent) { evt.preventDefault(); return; }
    form.dataset.sent = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.classList.add("disabled");
      button.setAttribute("aria-disabled", "true");
      if (button === evt.submitter) { button.textContent = "正在保存…"; }
    });
  });
  // Back from the next page (bfcache): the form can be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.classList.remove("disabled");
        button.removeAttribute("aria-disabled");
        if (button.dataset.label) { button.textContent = button.dataset.label; }
      });
    });
  });
  document.querySelectorAll("form[data-once] button[type=submit]").forEach(function (button) {
    button.dataset.label = button.textContent;
  });
})();
