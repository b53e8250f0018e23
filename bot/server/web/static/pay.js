// The pay page's busy state: one press of Pay shows "Paying…" and cannot be pressed again while the
// payment is confirmed (a second press used to send a second request).
(function () {
  "use strict";
  var form = document.getElementById("pay_form");
  if (!form) return;
  var button = document.getElementById("pay_button");
  form.addEventListener("submit", function (event) {
    if (button.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
    button.setAttribute("aria-busy", "true");
    button.setAttribute("aria-disabled", "true");
    button.textContent = button.dataset.busy || "Paying…";  // in the page's language
  });
  // Back from the browser's page cache (e.g. the back button): ready again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { button.removeAttribute("aria-busy"); button.removeAttribute("aria-disabled"); }
  });
})();
