// Print buttons of the invitation-link pages (no inline script: CSP).
document.querySelectorAll("[data-hq-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
