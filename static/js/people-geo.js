/* Patrol form: "获取位置" fills latitude and longitude from the phone's position (the CSP forbids
   inline scripts, so the button is wired here). Nothing is sent until the form is saved. */
(function () {
  "use strict";
  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-geo-fill]");
    if (!button) { return; }
    var box = button.closest("[data-geo]");
    var status = box.querySelector("[data-geo-status]");
    function say(text) { if (status) { status.textContent = text; } }
    if (!navigator.geolocation) {
      say("此浏览器不支持定位，可手动填写经纬度或留空。");
      return;
    }
    button.disabled = true;
    say("正在获取位置…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      box.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
      box.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
      button.disabled = false;
      say("已获取位置（精度约 " + Math.round(pos.coords.accuracy) + " 米）");
    }, function (err) {
      button.disabled = false;
      say(err && err.code === 1 ? "未获得定位授权，可手动填写经纬度或留空。" : "暂时无法获取位置，请稍后再试或留空。");
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
})();
