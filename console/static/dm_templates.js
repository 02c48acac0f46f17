// DM templates page: the live preview of a template against sample values (the server checks again).
(function () {
  var body = document.getElementById("f-body");
  var source = document.getElementById("preview-values");
  if (!body || !source) {
    return;
  }
  var values = JSON.parse(source.textContent);
  var limit = parseInt(source.getAttribute("data-max-text"), 10);
  function render() {
    var unknown = [];
    var text = body.value.replace(/\{\{(.*?)\}\}/g, function (m, name) {
      name = name.trim();
      if (!(name in values)) { unknown.push(m); return m; }
      return values[name];
    }).trim();
    document.getElementById("preview-text").textContent = text;
    document.getElementById("preview-count").textContent = text.length + " / " + limit + " characters";
    var problems = [];
    if (unknown.length) problems.push("Unknown variable " + unknown.join(", "));
    if (text.length > limit) problems.push("Over the " + limit + "-character limit");
    document.getElementById("preview-error").textContent = problems.join(". ");
  }
  body.addEventListener("input", render);
  render();
})();
