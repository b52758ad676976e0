/* Case pages (Leaflet, no inline scripts under the CSP):
 *  - [data-case-map]: a small map with the case's point, read from the json_script "case-point"
 *    ({"lat", "lng", "label", "tile_url"?}).
 *  - [data-pick-map] inside the report form: click to place the pin; "使用当前位置" (people-geo.js)
 *    fills the hidden latitude/longitude inputs and the pin follows. The map shows tiles only when
 *    the deployment configures MAP_TILE_URL (json_script "map-config"); otherwise the village
 *    select below it is the way to say where.
 */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function tiles(map) {
    var config = readJSON("map-config");
    if (config && config.tile_url) {
      L.tileLayer(config.tile_url, { maxZoom: 18 }).addTo(map);
    }
  }

  function caseMap(el) {
    var point = readJSON("case-point");
    if (!point) { return; }
    var map = L.map(el, { zoomControl: true }).setView([point.lat, point.lng], 15);
    tiles(map);
    L.circleMarker([point.lat, point.lng], { radius: 8, color: "#b3261e", fillOpacity: 0.6 })
      .addTo(map).bindTooltip(point.label || "");
  }

  function pickMap(el) {
    var form = el.closest("form");
    var lat = form.querySelector("[name=latitude]");
    var lng = form.querySelector("[name=longitude]");
    var config = readJSON("map-config") || {};
    var centre = config.centre || [26.42, 103.30];
    var map = L.map(el).setView(centre, config.zoom || 10);
    tiles(map);
    var marker = null;
    function place(la, ln) {
      if (marker) { marker.setLatLng([la, ln]); } else { marker = L.marker([la, ln]).addTo(map); }
      map.setView([la, ln], Math.max(map.getZoom(), 14));
    }
    map.on("click", function (evt) {
      lat.value = evt.latlng.lat.toFixed(6);
      lng.value = evt.latlng.lng.toFixed(6);
      place(evt.latlng.lat, evt.latlng.lng);
    });
    // people-geo.js writes the inputs; follow them.
    [lat, lng].forEach(function (input) {
      input.addEventListener("change", function () {
        if (lat.value && lng.value) { place(parseFloat(lat.value), parseFloat(lng.value)); }
      });
    });
    document.addEventListener("click", function (evt) {
      if (!evt.target.closest("[data-geo-fill]")) { return; }
      var tries = 0;
      var timer = setInterval(function () {
        tries += 1;
        if (lat.value && lng.value) { place(parseFloat(lat.value), parseFloat(lng.value)); clearInterval(timer); }
        if (tries > 40) { clearInterval(timer); }
      }, 500);
    });
    if (lat.value && lng.value) { place(parseFloat(lat.value), parseFloat(lng.value)); }
  }

  document.querySelectorAll("[data-case-map]").forEach(caseMap);
  document.querySelectorAll("[data-pick-map]").forEach(pickMap);
  document.body.addEventListener("htmx:afterSwap", function () {
    document.querySelectorAll("[data-case-map]:not(.leaflet-container)").forEach(caseMap);
  });
})();
