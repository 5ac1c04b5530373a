// Phone-first ledgers (see .hq-cards in houqin.css): give each cell its column's name, so a row read as a card
// says what each value is; mark the columns past data-card-fields as the rest of the row.
(function () {
  function label(table) {
    var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    var keep = parseInt(table.getAttribute("data-card-fields") || "0", 10);
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (td, i) {
        if (td.hasAttribute("colspan")) return;
        if (names[i] && !td.hasAttribute("data-label")) td.setAttribute("data-label", names[i]);
        if (keep && i >= keep) td.classList.add("hq-card-rest");
      });
    });
  }
  function init(root) { root.querySelectorAll("table.hq-cards").forEach(label); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("hq:refreshed", function (event) { init(event.target); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
