// Automation editor: each variant's message rendered live for a sample person, and "Add a variant".
(function () {
  var source = document.getElementById("automation-preview");
  if (!source) {
    return;
  }
  var data = JSON.parse(source.textContent);
  function render(select) {
    var target = document.getElementById(select.getAttribute("data-preview"));
    var body = data.bodies[select.value];
    target.textContent = body
      ? body.replace(/\{\{(.*?)\}\}/g, function (m, name) {
          name = name.trim();
          return name in data.values ? data.values[name] : m;
        }).trim()
      : "";
  }
  var selects = document.querySelectorAll("select[data-preview]");
  selects.forEach(function (select) {
    select.addEventListener("change", function () { render(select); });
    render(select);
  });
  var add = document.getElementById("add-variant");
  function refresh() {
    add.hidden = !document.querySelector(".variant[hidden]");
  }
  add.addEventListener("click", function () {
    var next = document.querySelector(".variant[hidden]");
    if (next) {
      next.hidden = false;
      next.querySelector("select").focus();
    }
    refresh();
  });
  refresh();
})();
