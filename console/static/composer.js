// The DM composer: picking a template or a route fills the message with that template's text for
// that route (the server filled the variables). Without this script, "Fill from template" does it.
(function () {
  document.querySelectorAll("[data-composer]").forEach(function (form) {
    var picker = form.querySelector("[data-template-picker]");
    var text = form.querySelector("textarea[name=text]");
    var fill = form.querySelector("[data-fill-button]");
    if (!picker || !text) return;
    if (fill) fill.hidden = true;

    function routeIndex() {
      var checked = form.querySelector("input[name=route]:checked");
      return checked ? checked.dataset.index : "0";
    }

    var lastFilled = text.value;

    function fillText() {
      var option = picker.options[picker.selectedIndex];
      if (!option || !option.value) return;
      var filled = option.getAttribute("data-text-" + routeIndex());
      if (filled !== null) text.value = lastFilled = filled;
    }

    picker.addEventListener("change", fillText);
    form.querySelectorAll("input[name=route]").forEach(function (radio) {
      // Another route may fill the variables differently (the comment quoted); never overwrite edits.
      radio.addEventListener("change", function () {
        if (text.value === lastFilled) fillText();
      });
    });
  });
})();
