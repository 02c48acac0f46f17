// Leads pages: the export's "preparing" state and drag-and-drop on the board.
// Everything works without this script: the export is a plain link, each card has a Move form.
(function () {
  var status = document.getElementById("export-status");
  document.querySelectorAll("[data-export]").forEach(function (link) {
    if (!status) return;
    link.addEventListener("click", function () {
      status.hidden = false;
      link.setAttribute("aria-busy", "true");
      link.classList.add("is-busy");
      // The browser's own download bar shows the progress; hide our note once it has had time to start.
      setTimeout(function () {
        status.hidden = true;
        link.removeAttribute("aria-busy");
        link.classList.remove("is-busy");
      }, 8000);
    });
  });

  var dragged = null;
  document.querySelectorAll(".lead-card[draggable]").forEach(function (card) {
    card.addEventListener("dragstart", function (event) {
      dragged = card;
      card.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.lead);
    });
    card.addEventListener("dragend", function () {
      card.classList.remove("dragging");
      document.querySelectorAll(".board-col").forEach(function (c) { c.classList.remove("drop-ok"); });
      dragged = null;
    });
  });
  document.querySelectorAll(".board-col").forEach(function (column) {
    function allowed() {
      return dragged && dragged.dataset.allowed.split(" ").indexOf(column.dataset.status) !== -1;
    }
    column.addEventListener("dragover", function (event) {
      if (allowed()) {
        event.preventDefault();
        column.classList.add("drop-ok");
      }
    });
    column.addEventListener("dragleave", function () { column.classList.remove("drop-ok"); });
    column.addEventListener("drop", function (event) {
      if (!allowed()) return;
      event.preventDefault();
      // Submit the card's own form, so the move goes through the same route and service as the button.
      var form = dragged.querySelector(".move-form");
      form.querySelector("select[name=status]").value = column.dataset.status;
      form.submit();
    });
  });
})();
