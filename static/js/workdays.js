/* Working calendar page: the year picker jumps to the chosen year (delegated, so it keeps working
   after htmx swaps the year in). Without JavaScript the picker's form submits ?y=<year>. */
(function () {
  "use strict";
  document.addEventListener("change", function (evt) {
    var select = evt.target;
    if (!select.matches || !select.matches("[data-year-picker]")) { return; }
    var url = select.getAttribute("data-url-template").replace("/2000/", "/" + select.value + "/");
    window.location.href = url;
  });
})();
