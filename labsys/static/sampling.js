// The sampling form: keyboard-friendly batch rows and the enterprise lookup.
// The form works without this script (a fixed number of rows, names typed in full).
(function () {
  "use strict";
  var form = document.getElementById("visit-form");
  if (!form) { return; }
  var script = document.currentScript;
  var tbody = document.querySelector("#batch-table tbody");
  var addButton = document.getElementById("add-batch");
  var datalist = document.getElementById("enterprise-options");
  var lookupUrl = form.dataset.lookupUrl;
  var found = {};

  function rows() { return tbody.querySelectorAll("tr.batch-row"); }

  function addRow() {
    var all = rows();
    var last = all[all.length - 1];
    var index = all.length;
    var row = last.cloneNode(true);
    row.querySelectorAll("input, select").forEach(function (input) {
      ["name", "id"].forEach(function (attr) {
        var value = input.getAttribute(attr);
        if (value) { input.setAttribute(attr, value.replace(/^batches-\d+-/, "batches-" + index + "-")); }
      });
      if (input.tagName === "SELECT") {
        Array.prototype.forEach.call(input.options, function (option) { option.selected = false; });
        if (!input.multiple) { input.selectedIndex = 0; }
      } else {
        input.value = "";
      }
      input.classList.remove("is-invalid");
    });
    row.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    row.querySelector(".row-number").textContent = index + 1;
    tbody.appendChild(row);
    syncFarm(row);
    row.querySelector("input").focus();
    return row;
  }

  // 购进日期 and 供货者 are the national form's 食用农产品 section: shown for a batch whose
  // category is farm produce (its datalist option is marked), hidden for other foods unless
  // already filled in or in error (they are still accepted: any bought sample has a date).
  var farm = {};
  document.querySelectorAll("#leaf-categories option[data-farm-produce]").forEach(function (option) {
    farm[option.value] = true;
  });
  function syncFarm(row) {
    var category = row.querySelector("input[name$='-category']");
    var isFarm = Boolean(category && farm[category.value.trim()]);
    row.classList.toggle("farm-produce", isFarm);
    row.querySelectorAll("input[name$='-purchase_date'], input[name$='-supplier']").forEach(function (input) {
      input.hidden = !isFarm && !input.value && !input.classList.contains("is-invalid");
    });
  }
  function onCategory(event) {
    if (/-category$/.test(event.target.name || "")) { syncFarm(event.target.closest("tr")); }
  }
  tbody.addEventListener("input", onCategory);
  tbody.addEventListener("change", onCategory);
  rows().forEach(syncFarm);

  addButton.classList.remove("d-none");
  addButton.addEventListener("click", addRow);

  tbody.addEventListener("keydown", function (event) {
    var input = event.target;
    if (input.tagName !== "INPUT") { return; }
    var row = input.closest("tr");
    var all = rows();
    var isLastRow = row === all[all.length - 1];
    if (event.key === "Enter") {
      event.preventDefault();
      var next = row.nextElementSibling;
      if (isLastRow || !next) { addRow(); } else { next.querySelector("input").focus(); }
    } else if (event.key === "Tab" && !event.shiftKey && isLastRow) {
      var inputs = row.querySelectorAll("input");
      if (input === inputs[inputs.length - 1]) { event.preventDefault(); addRow(); }
    }
  });

  // The online order's fields show for the link "online" (or when one of them has an error).
  var linkSelect = form.querySelector("select[name=link]");
  var onlineFields = document.getElementById("online-fields");
  function syncOnline() {
    if (!linkSelect || !onlineFields) { return; }
    onlineFields.hidden = linkSelect.value !== "online" && !onlineFields.querySelector(".is-invalid");
  }
  if (linkSelect) { linkSelect.addEventListener("change", syncOnline); }
  syncOnline();

  // Enterprise lookup (sampled unit and labelled producers): "name [#id]" options.
  var unitInput = form.querySelector("input[name=sampled_unit]");
  var history = document.getElementById("unit-history");
  unitInput.setAttribute("list", "enterprise-options");
  unitInput.setAttribute("autocomplete", "off");
  var timer = null;

  function label(item) { return item.name + " [#" + item.id + "]"; }

  function lookup(text) {
    if (!lookupUrl || text.length < 2 || /\[#\d+\]\s*$/.test(text)) { return; }
    fetch(lookupUrl + "?q=" + encodeURIComponent(text), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (items) {
        datalist.innerHTML = "";
        items.forEach(function (item) {
          found[item.id] = item;
          var option = document.createElement("option");
          option.value = label(item);
          option.label = [item.address, item.uscc].filter(Boolean).join(" · ");
          datalist.appendChild(option);
        });
      })
      .catch(function () { /* the lookup is a convenience: typing the name still works */ });
  }

  function showHistory() {
    var match = /\[#(\d+)\]\s*$/.exec(unitInput.value);
    var item = match && found[match[1]];
    if (!item || !item.history) { history.textContent = ""; return; }
    history.textContent = script.dataset.historyText
      .replace("{year}", item.history.year).replace("{recent}", item.history.last_30_days);
    var place = form.querySelector("input[name=place]");
    if (place && !place.value && item.address) { place.value = item.address; }
  }

  form.addEventListener("input", function (event) {
    var input = event.target;
    if (input === unitInput || /-producer$/.test(input.name || "")) {
      clearTimeout(timer);
      timer = setTimeout(function () { lookup(input.value.trim()); }, 250);
      if (input === unitInput) { showHistory(); }
    }
  });
}());

// A new sampled unit or labelled producer, registered in a dialog without leaving the page:
// the batches already typed stay as they are.
(function () {
  "use strict";
  var dialog = document.getElementById("new-enterprise");
  var visitForm = document.getElementById("visit-form");
  if (!dialog || !visitForm || typeof dialog.showModal !== "function") { return; }
  var form = document.getElementById("new-enterprise-form");
  var errors = document.getElementById("new-enterprise-errors");
  var target = null;
  var lastProducer = null;

  visitForm.addEventListener("focusin", function (event) {
    if (/-producer$/.test(event.target.name || "")) { lastProducer = event.target; }
  });

  function producerInput() {
    if (lastProducer && document.body.contains(lastProducer)) { return lastProducer; }
    var all = visitForm.querySelectorAll("input[name$='-producer']");
    for (var i = 0; i < all.length; i += 1) { if (!all[i].value) { return all[i]; } }
    return all[0];
  }

  document.querySelectorAll("button.new-enterprise").forEach(function (button) {
    button.classList.remove("d-none");
    button.addEventListener("click", function () {
      target = button.dataset.target === "unit"
        ? visitForm.querySelector("input[name=sampled_unit]") : producerInput();
      form.querySelectorAll("input:not([type=hidden])").forEach(function (input) { input.value = ""; });
      var name = form.querySelector("input[name$='-name']");
      var typed = target && target.value && !/\[#\d+\]\s*$/.test(target.value) ? target.value : "";
      name.value = typed;
      errors.classList.add("d-none");
      dialog.showModal();
      name.focus();
    });
  });

  document.getElementById("new-enterprise-cancel").addEventListener("click", function () {
    dialog.close();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin"})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (answer) {
        if (!answer.ok) {
          var lines = [];
          Object.keys(answer.body.errors || {}).forEach(function (key) {
            answer.body.errors[key].forEach(function (message) { lines.push(message); });
          });
          errors.textContent = lines.join(" ");
          errors.classList.remove("d-none");
          return;
        }
        if (target) {
          target.value = answer.body.label;
          target.classList.remove("is-invalid");
          target.dispatchEvent(new Event("input", {bubbles: true}));
        }
        dialog.close();
      })
      .catch(function () {
        errors.textContent = form.dataset.failed || "";
        errors.classList.remove("d-none");
      });
  });
}());
