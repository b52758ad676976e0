/* Page-wide behaviour for htmx requests (loaded on every page; the CSP forbids inline scripts). */
(function () {
  "use strict";
  if (!window.htmx) { return; }

  // A fragment request after the session expired is answered by the login page: go there
  // instead of pasting a whole login page into a table cell.
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/accounts/login/") !== -1) {
      evt.detail.shouldSwap = false;
      window.location.href = xhr.responseURL;
    }
  });

  // Server errors (5xx) and lost connections are not swapped in; say so above the content.
  function showProblem(text) {
    var box = document.getElementById("messages");
    if (!box) { return; }
    var alert = document.createElement("div");
    alert.className = "alert alert-danger py-2";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    box.appendChild(alert);
    window.scrollTo(0, 0);
  }
  document.body.addEventListener("htmx:responseError", function (evt) {
    if (evt.detail.xhr && evt.detail.xhr.status >= 500) {
      showProblem("服务器暂时出现问题，请稍后再试。");
    }
  });
  document.body.addEventListener("htmx:sendError", function () {
    showProblem("网络连接失败，请检查网络后重试。");
  });
})();
