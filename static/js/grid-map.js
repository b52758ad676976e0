/* Grid maps (Leaflet). A map is a <div data-grid-map data-geojson="id" data-config="id">, where
 * the ids name <script type="application/json"> blocks written by Django's json_script:
 *   geojson: a FeatureCollection; each feature's properties carry code, name, level, url and a
 *            role ("self" | "child" | "parent") that picks its style;
 *   config:  {"tile_url": "..."}; a tile layer is added only when tile_url is set, because closed
 *            government networks have no public tiles and polygons alone are still readable.
 * Optional data-point="id" names a {"lat": .., "lng": ..} block drawn as a dot (point lookup).
 * A map inside a [data-locate-form] page re-runs the lookup where the user clicks.
 */
(function () {
  "use strict";

  var STYLES = {
    self: { color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.18 },
    child: { color: "#1f6feb", weight: 2, fillColor: "#1f6feb", fillOpacity: 0.1 },
    parent: { color: "#6c757d", weight: 2, dashArray: "6 4", fill: false }
  };
  var CHINA = [35.0, 105.0];

  function readJSON(id) {
    if (!id) { return null; }
    var el = document.getElementById(id);
    if (!el) { return null; }
    try {
      return JSON.parse(el.textContent);
    } catch (e) {
      return null;
    }
  }

  function popupFor(props) {
    var box = document.createElement("div");
    var title = document.createElement("div");
    title.className = "fw-semibold";
    title.textContent = props.name + "（" + props.level + " 级）";
    var code = document.createElement("div");
    code.className = "text-muted small";
    code.textContent = props.code;
    box.appendChild(title);
    box.appendChild(code);
    if (props.url) {
      var link = document.createElement("a");
      link.href = props.url;
      link.textContent = "查看网格";
      box.appendChild(link);
    }
    return box;
  }

  function init(el) {
    if (el.getAttribute("data-map-ready") === "1" || !window.L) { return; }
    el.setAttribute("data-map-ready", "1");
    var data = readJSON(el.getAttribute("data-geojson"));
    var config = readJSON(el.getAttribute("data-config")) || {};
    var point = readJSON(el.getAttribute("data-point"));

    var map = L.map(el, { attributionControl: !!config.tile_url, zoomSnap: 0.25 });
    if (config.tile_url) {
      L.tileLayer(config.tile_url, { maxZoom: 19 }).addTo(map);
    }
    // Build the layers, set the view, and only then add them: a layer added before the map has
    // a view waits for its "load" event, and Leaflet 1.9 can then draw a polygon through a renderer
    // that is not ready yet (TypeError reading 'min' when a point marker is added too).
    var layers = [];
    var bounds = L.latLngBounds([]);
    if (data) {
      var shapes = L.geoJSON(data, {
        style: function (feature) {
          var role = feature.properties && feature.properties.role;
          return STYLES[role] || STYLES.child;
        },
        onEachFeature: function (feature, lyr) {
          var props = feature.properties || {};
          lyr.bindTooltip(props.name || props.code || "", { sticky: true });
          lyr.bindPopup(popupFor(props));
        }
      });
      layers.push(shapes);
      bounds.extend(shapes.getBounds());
    }
    if (point && typeof point.lat === "number") {
      layers.push(L.circleMarker([point.lat, point.lng], {
        radius: 7, color: "#fff", weight: 2, fillColor: "#198754", fillOpacity: 1
      }).bindTooltip("查询位置"));
      bounds.extend([point.lat, point.lng]);
    }
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17 });
    } else {
      map.setView(CHINA, 4);
    }
    layers.forEach(function (lyr) { lyr.addTo(map); });
    // A parent grid is drawn as an outline behind the rest so it doesn't swallow their clicks.
    layers.forEach(function (lyr) {
      if (!lyr.eachLayer) { return; }
      lyr.eachLayer(function (shape) {
        var role = shape.feature && shape.feature.properties && shape.feature.properties.role;
        if (role === "parent") { shape.bringToBack(); }
      });
    });

    var form = document.querySelector("form[data-locate-form]");
    if (form) {
      map.on("click", function (evt) {
        form.querySelector("[name=lat]").value = evt.latlng.lat.toFixed(6);
        form.querySelector("[name=lng]").value = evt.latlng.lng.toFixed(6);
        form.requestSubmit();
      });
    }
  }

  function initAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-grid-map]")) { init(scope); }
    scope.querySelectorAll("[data-grid-map]").forEach(init);
  }

  if (window.htmx) {
    // Runs for the page and again for every fragment htmx swaps in (e.g. new lookup results).
    window.htmx.onLoad(initAll);
  } else {
    document.addEventListener("DOMContentLoaded", function () { initAll(document); });
  }
})();
