/* Point lookup: "使用当前位置" fills the form from the phone's position and submits it. */
(function () {
  "use strict";
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-locate-me]");
    if (!button) { return; }
    var form = button.closest("form");
    var status = form.querySelector("[data-locate-status]");
    function say(text) { if (status) { status.textContent = text; } }
    if (!navigator.geolocation) {
      say("此浏览器不支持定位，请手动输入经纬度。");
      return;
    }
    say("正在获取位置…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.querySelector("[name=lat]").value = pos.coords.latitude.toFixed(6);
      form.querySelector("[name=lng]").value = pos.coords.longitude.toFixed(6);
      say("");
      form.requestSubmit();
    }, function () {
      say("无法获取位置（可能未授权定位），请手动输入经纬度。");
    }, { enableHighAccuracy: true, timeout: 10000 });
  });
})();
