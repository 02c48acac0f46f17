// The inbox thread: new items appear without a reload (short polling of the thread's JSON every 3 s),
// the window's countdown ticks, and Ctrl+Enter sends. Without this script the page still works on reload.
(function () {
  var thread = document.querySelector("[data-inbox-thread]");
  if (!thread) return;
  var list = thread.querySelector("[data-items]");
  var stateLabel = thread.querySelector("[data-state]");
  var labels = { open: "Open", waiting: "Waiting on them", done: "Done" };

  function render(item) {
    var li = document.createElement("li");
    li.className = "item item-" + item.direction;
    li.dataset.key = item.key;
    var meta = document.createElement("small");
    meta.className = "muted";
    meta.textContent = new Date(item.at).toLocaleString() + " · " + item.kind + (item.status ? " · " + item.status : "");
    var text = document.createElement("p");
    text.textContent = item.text || "—";
    li.appendChild(meta);
    li.appendChild(text);
    return li;
  }

  function poll() {
    fetch(thread.dataset.itemsUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        body.items.forEach(function (item) {
          if (!list.querySelector('[data-key="' + item.key + '"]')) list.appendChild(render(item));
        });
        if (stateLabel && labels[body.state]) stateLabel.textContent = labels[body.state];
      })
      .catch(function () {});
  }
  setInterval(poll, 3000);

  var countdown = thread.querySelector("[data-countdown]");
  if (countdown) {
    var until = new Date(countdown.dataset.countdown).getTime();
    setInterval(function () {
      var left = Math.max(0, Math.floor((until - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60);
      countdown.textContent = left ? h + " h " + m + " min" : "closed";
    }, 30000);
  }

  var composer = thread.querySelector("[data-inbox-composer]");
  if (composer) {
    var text = composer.querySelector("textarea[name=text]");
    var button = composer.querySelector("button[type=submit]");
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    // A double click submits once; the form's key makes a resubmission send nothing more anyway.
    composer.addEventListener("submit", function () { button.disabled = true; });
  }
})();
