/* 积分制 pages: a print button for receipts and reports (the CSP forbids inline onclick). */
(function () {
  "use strict";
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-print]");
    if (button) {
      evt.preventDefault();
      window.print();
    }
  });
})();
