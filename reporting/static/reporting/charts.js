// Charts of the bureau console (ECharts, served locally). Data comes from json_script elements.
(function () {
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function bars(el, d) {
    var series = [{ type: "bar", name: d.title, data: d.values, itemStyle: { color: "#3b82f6" } }];
    if (d.average !== null) {
      series[0].markLine = { symbol: "none", data: [{ yAxis: d.average, name: d.average_label }],
        label: { position: "insideEndTop", formatter: d.average_label + " {c}" } };
    }
    return { title: { text: d.title + (d.unit ? "（" + d.unit + "）" : ""), textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" }, grid: { left: 50, right: 20, bottom: 80 },
      xAxis: { type: "category", data: d.schools, axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "value" }, series: series };
  }
  function trend(el, d) {
    return { title: { text: d.title + " · " + d.average_label, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" }, grid: { left: 50, right: 20, bottom: 60 },
      xAxis: { type: "category", data: d.terms, axisLabel: { rotate: 20 } }, yAxis: { type: "value" },
      series: [{ type: "line", name: d.average_label, data: d.trend, smooth: true }] };
  }
  function lines(el, d) {
    return { tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 50, right: 20, top: 40, bottom: 50 },
      xAxis: { type: "category", data: d.terms }, yAxis: { type: "value" },
      series: d.series.map(function (s) { return { type: "line", name: s.name, data: s.data }; }) };
  }
  var kinds = { bars: bars, trend: trend, lines: lines };
  function init(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.getAttribute("data-rendered")) return;
      var d = data(el.getAttribute("data-source"));
      var make = kinds[el.getAttribute("data-chart")];
      if (!d || !make) return;
      var chart = echarts.init(el);
      chart.setOption(make(el, d));
      el.setAttribute("data-rendered", "1");
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  // A page region swapped in place (reporting/live.js) brings new charts to draw.
  document.addEventListener("hq:refreshed", function (event) { init(event.target); });
})();
