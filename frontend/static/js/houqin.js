// Small behaviours shared by every page (no inline scripts: the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("[data-hq-toggle-sidebar]");
  if (toggle) {
    toggle.addEventListener("click", () => document.querySelector(".hq-sidebar").classList.toggle("show"));
  }
  document.querySelectorAll("[data-hq-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form && el.form.submit());
  });
  document.querySelectorAll("[data-hq-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.getAttribute("data-hq-confirm"))) event.preventDefault();
    });
  });
});
document.body && document.body.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector("meta[name=csrf-token]");
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});
