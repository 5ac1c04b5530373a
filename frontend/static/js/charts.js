// The school pages' charts (ECharts, served locally): every [data-chart] element is drawn from the
// json_script its data-source names (a chart dict of core/charts.py: labels, series). Bar, line and pie;
// redrawn when its box changes size, so a phone turned sideways gets a chart that fits.
(function () {
  "use strict";
  var COLORS = ["#3b82f6", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#64748b", "#ec4899"];

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function gap(v) { return v === null || v === undefined ? "-" : v; }
  function formatter(unit) {
    return function (v) { return v === null || v === undefined || v === "-" ? "—" : v + (unit || ""); };
  }
  function valueAxis(unit) {
    var axis = { type: "value", minInterval: 1, axisLabel: { formatter: unit ? "{value}" + unit : "{value}" } };
    if (unit === "%") { axis.max = 100; axis.minInterval = 0; }
    return axis;
  }

  function cartesian(d, el) {
    var narrow = el.clientWidth < 480;
    var plotted = d.series.filter(function (s) { return !s.table_only; });
    var units = [0, 1].map(function (i) {
      var s = plotted.filter(function (s) { return (s.axis || 0) === i; })[0];
      return s ? (s.unit || "") : null;
    });
    var values = [valueAxis(units[0] || "")];
    if (units[1] !== null) { values.push(Object.assign(valueAxis(units[1]), { splitLine: { show: false } })); }
    var category = {
      type: "category", data: d.labels, inverse: !!d.horizontal,
      axisLabel: { interval: 0, hideOverlap: true, width: narrow ? (d.horizontal ? 110 : 72) : 160, overflow: "truncate",
        rotate: !d.horizontal && narrow && d.labels.length > 3 ? 35 : 0 },
    };
    return {
      color: COLORS,
      title: { text: d.title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis", confine: true },
      legend: { type: "scroll", top: 24, textStyle: { fontSize: narrow ? 11 : 12 } },
      grid: { left: 8, right: 12, top: 60, bottom: 8, containLabel: true },
      xAxis: d.horizontal ? values : category,
      yAxis: d.horizontal ? category : values,
      series: plotted.map(function (s) {
        var type = s.type || d.kind;
        var one = { type: type, name: s.name, data: s.data.map(gap), stack: s.stack,
          tooltip: { valueFormatter: formatter(s.unit) } };
        one[d.horizontal ? "xAxisIndex" : "yAxisIndex"] = s.axis || 0;
        if (type === "line") { one.connectNulls = true; one.symbolSize = 7; }
        if (type === "bar") { one.barMaxWidth = 28; }
        return one;
      }),
    };
  }

  function pie(d, el) {
    var s = d.series[0];
    return {
      color: COLORS,
      title: { text: d.title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "item", confine: true, valueFormatter: formatter(s.unit) },
      legend: { type: "scroll", bottom: 0 },
      series: [{ type: "pie", name: s.name, radius: el.clientWidth < 480 ? ["30%", "60%"] : ["35%", "65%"],
        data: d.labels.map(function (label, i) { return { name: label, value: s.data[i] }; }) }],
    };
  }

  function draw(el) {
    if (el.getAttribute("data-rendered")) return;
    var d = read(el.getAttribute("data-source"));
    if (!d || !d.labels || !d.labels.length) return;
    if (d.horizontal && !el.style.height) {
      // A row per label: long Chinese category and room names read across, not up the side.
      el.style.height = Math.max(180, 90 + d.labels.length * 30) + "px";
    }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var make = d.kind === "pie" ? pie : cartesian;
    chart.setOption(make(d, el));
    el.setAttribute("data-rendered", "1");
    var width = el.clientWidth;
    var redraw = function () {
      chart.resize();
      // Crossing the phone width changes label rotation and sizes, not just the scale.
      if ((width < 480) !== (el.clientWidth < 480)) { chart.setOption(make(d, el), true); }
      width = el.clientWidth;
    };
    if (window.ResizeObserver) { new ResizeObserver(redraw).observe(el); }
    else { window.addEventListener("resize", redraw); }
  }

  function tableToggle(button) {
    var table = document.getElementById(button.getAttribute("data-hq-chart-table"));
    if (!table) return;
    var hide = button.textContent;
    button.addEventListener("click", function () {
      var shown = table.classList.toggle("visually-hidden") === false;
      button.setAttribute("aria-expanded", shown ? "true" : "false");
      button.textContent = shown ? (button.getAttribute("data-hide-label") || hide) : hide;
    });
  }

  function init(root) {
    root.querySelectorAll("[data-hq-chart-table]").forEach(tableToggle);
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(draw);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  // A page region swapped in place (reporting/live.js) brings new charts to draw.
  document.addEventListener("hq:refreshed", function (event) { init(event.target); });
})();
