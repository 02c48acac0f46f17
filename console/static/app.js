// Behaviours every console page shares, declared in the markup with data-* attributes, so the
// Content-Security-Policy needs no inline script or handler:
//   <form data-confirm="Delete?">        asks before submitting
//   <select data-autosubmit>             submits its form when changed
//   <p data-reload-after="3">            reloads the page after that many seconds
//   <input type=checkbox data-select-all="ids">  ticks or unticks every checkbox named "ids"
// Every page still works without JavaScript (no confirmation, a Go button, a Refresh link).
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
      field.form.submit();
    }
    var group = field.getAttribute && field.getAttribute("data-select-all");
    if (group) {
      document.querySelectorAll('input[type="checkbox"][name="' + group + '"]').forEach(function (box) {
        box.checked = field.checked;
      });
    }
  });
  document.querySelectorAll("[data-reload-after]").forEach(function (element) {
    var seconds = parseFloat(element.getAttribute("data-reload-after")) || 3;
    setTimeout(function () { window.location.reload(); }, seconds * 1000);
  });
})();
