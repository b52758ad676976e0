/* Case dashboard charts (ECharts, vendored in static/vendor/echarts).
 *
 * The page writes its numbers with Django's json_script into <script id="dashboard-charts">
 * ({months, categories, channels, levels}, see apps/cases/dashboard.py) and marks each chart
 * container with data-chart="months|categories|channels|levels". No inline script or style: the
 * CSP forbids both, so the containers get their height here (through the CSSOM, which the CSP
 * allows) and tooltips are drawn on the canvas (renderMode "richText") instead of as HTML with
 * style attributes. The same numbers are in the tables of the page for readers without charts.
 */
(function () {
  "use strict";

  var COLORS = ["#b3261e", "#1f6feb", "#e8710a", "#198754", "#6f42c1", "#20c997", "#6c757d", "#f2c200", "#0dcaf0", "#d63384", "#795548", "#adb5bd"];

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function base() {
    return {
      color: COLORS,
      textStyle: { fontFamily: "system-ui, \"Noto Sans CJK SC\", \"Microsoft YaHei\", sans-serif" },
      tooltip: { renderMode: "richText", confine: true },
      aria: { enabled: true },
      animation: false
    };
  }

  function pluck(rows, key) {
    return rows.map(function (r) { return r[key]; });
  }

  function empty(text) {
    return {
      title: { text: text, left: "center", top: "middle", textStyle: { color: "#6c757d", fontSize: 13, fontWeight: "normal" } }
    };
  }

  function merge(a, b) {
    for (var k in b) { if (Object.prototype.hasOwnProperty.call(b, k)) { a[k] = b[k]; } }
    return a;
  }

  var BUILDERS = {
    months: function (rows, narrow) {
      if (!rows.length) { return empty("无数据"); }
      return {
        tooltip: { trigger: "axis", renderMode: "richText", confine: true },
        legend: { top: 0, data: ["受理", "办结", "曾超期"] },
        grid: { left: 40, right: 12, top: 32, bottom: 28 },
        xAxis: {
          type: "category",
          data: rows.map(function (r) { return narrow ? r.month.slice(5) + "月" : r.month; }),
          axisLabel: { hideOverlap: true }
        },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: "受理", type: "line", data: pluck(rows, "received") },
          { name: "办结", type: "line", data: pluck(rows, "closed") },
          { name: "曾超期", type: "line", data: pluck(rows, "was_overdue"), lineStyle: { type: "dashed" } }
        ]
      };
    },
    categories: function (rows) {
      if (!rows.length) { return empty("无数据"); }
      var sorted = rows.slice().reverse();  // largest at the top of a horizontal bar chart
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: "richText", confine: true },
        legend: { top: 0, data: ["受理", "办结"] },
        grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: pluck(sorted, "name"), axisLabel: { width: 84, overflow: "truncate" } },
        series: [
          { name: "受理", type: "bar", data: pluck(sorted, "received") },
          { name: "办结", type: "bar", data: pluck(sorted, "closed") }
        ]
      };
    },
    channels: function (rows, narrow) {
      if (!rows.length) { return empty("无数据"); }
      return {
        tooltip: { trigger: "item", renderMode: "richText", confine: true, formatter: "{b}：{c} 件（{d}%）" },
        legend: { type: "scroll", bottom: 0 },
        series: [{
          name: "渠道", type: "pie", radius: narrow ? ["30%", "58%"] : ["35%", "65%"], center: ["50%", "45%"],
          label: { formatter: "{b}\n{d}%" },
          data: rows.map(function (r) { return { name: r.name, value: r.received }; })
        }]
      };
    },
    levels: function (rows, narrow) {
      if (!rows.length) { return empty("暂无办结"); }
      return {
        tooltip: { trigger: "item", renderMode: "richText", confine: true, formatter: "{b}：{c} 件（{d}%）" },
        legend: { type: "scroll", bottom: 0 },
        color: ["#198754", "#20c997", "#1f6feb", "#b3261e"],
        series: [{
          name: "办结层级", type: "pie", radius: narrow ? "55%" : "62%", center: ["50%", "45%"],
          label: { formatter: "{b}\n{d}%" },
          data: rows.map(function (r) { return { name: r.name, value: r.closed }; })
        }]
      };
    }
  };

  function size(el) {
    var width = el.clientWidth || el.parentNode.clientWidth || 360;
    el.style.height = Math.round(Math.max(240, Math.min(360, width * 0.62))) + "px";
    return width;
  }

  function draw() {
    var data = readJSON("dashboard-charts");
    if (!data || typeof window.echarts === "undefined") { return; }
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var kind = el.getAttribute("data-chart");
      var build = BUILDERS[kind];
      if (!build) { return; }
      var narrow = size(el) < 480;
      var chart = window.echarts.init(el, null, { renderer: "canvas", locale: "ZH" });
      chart.setOption(merge(base(), build(data[kind] || [], narrow)));
      el.setAttribute("data-chart-ready", "1");
      charts.push({ el: el, chart: chart });
    });
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) { window.clearTimeout(pending); }
      pending = window.setTimeout(function () {
        charts.forEach(function (c) { size(c.el); c.chart.resize(); });
      }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
