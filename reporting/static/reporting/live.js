// Redraw a bureau page when the read-models change (issue 21: "refresh without reload within 5 s").
// The page polls its stamp every 3 s; on a change it fetches itself and swaps the live region, then
// asks the chart scripts to draw what came in. Nothing is swapped while someone types in the region.
(function () {
  var region = document.querySelector("[data-live-region]");
  if (!region || !window.fetch || !window.DOMParser) return;
  var url = region.getAttribute("data-live-url");
  var stamp = region.getAttribute("data-live-stamp");
  var busy = false;
  function typing() {
    var el = document.activeElement;
    return el && region.contains(el) && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName);
  }
  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-live-region]");
    if (!fresh) return;
    region.innerHTML = fresh.innerHTML;
    stamp = fresh.getAttribute("data-live-stamp");
    region.setAttribute("data-live-stamp", stamp);
    region.setAttribute("data-live-swaps", String(Number(region.getAttribute("data-live-swaps") || 0) + 1));
    region.dispatchEvent(new CustomEvent("hq:refreshed", { bubbles: true }));
  }
  function tick() {
    if (busy || document.hidden || typing()) return;
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d || d.stamp === stamp) return null;
        return fetch(window.location.href, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) { if (html) swap(html); });
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ })
      .then(function () { busy = false; });
  }
  window.setInterval(tick, 3000);
})();
