// Bulk issue on the reports queue: send the chosen samples in small chunks, so the
// progress bar moves as reports are issued; then offer the issued PDFs as one ZIP.
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) { return; }
  var CHUNK = 5;
  var messages = document.getElementById("bulk-messages").dataset;
  var selectAll = document.getElementById("select-all");
  var panel = document.getElementById("bulk-progress");
  var bar = panel.querySelector(".progress-bar");
  var status = document.getElementById("bulk-status");
  var failures = document.getElementById("bulk-failures");
  var zipLink = document.getElementById("bulk-zip");

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  if (selectAll) {
    selectAll.addEventListener("change", function () {
      form.querySelectorAll(".sample-check:not(:disabled)").forEach(function (box) {
        box.checked = selectAll.checked;
      });
    });
  }

  function show(done, total) {
    var percent = total ? Math.round(done * 100 / total) : 100;
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    bar.parentElement.setAttribute("aria-valuenow", String(percent));
    status.textContent = fill(messages.progress, {done: done, total: total});
  }

  function sendChunk(ids) {
    var body = new FormData();
    body.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    ids.forEach(function (id) { body.append("sample_ids", id); });
    body.append("password", form.querySelector("input[name=password]").value);
    return fetch(form.action, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      if (response.status === 403 || response.status === 400) {
        return response.json().then(function (refusal) {
          throw new Error(refusal.error || String(response.status));
        });
      }
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    });
  }

  form.addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.id !== "bulk-issue") { return; }
    event.preventDefault();
    var ids = Array.prototype.map.call(
      form.querySelectorAll(".sample-check:checked"), function (box) { return box.value; });
    panel.hidden = false;
    failures.textContent = "";
    zipLink.hidden = true;
    if (!ids.length) { status.textContent = messages.none; return; }
    var button = document.getElementById("bulk-issue");
    button.disabled = true;
    var issued = [], failedCount = 0, done = 0;
    show(0, ids.length);
    var chunks = [];
    for (var i = 0; i < ids.length; i += CHUNK) { chunks.push(ids.slice(i, i + CHUNK)); }
    chunks.reduce(function (previous, chunk) {
      return previous.then(function () {
        return sendChunk(chunk).then(function (result) {
          result.issued.forEach(function (item) {
            issued.push(item.report_id);
            var row = form.querySelector('tr[data-sample-id="' + item.sample_id + '"]');
            if (row) {
              row.classList.add("table-success");
              row.querySelector(".sample-check").disabled = true;
              row.querySelector(".sample-check").checked = false;
              row.querySelector(".row-actions").textContent = item.report_no;
            }
          });
          result.failed.forEach(function (item) {
            failedCount += 1;
            var li = document.createElement("li");
            li.textContent = item.sample_no + ": " + item.message;
            failures.appendChild(li);
          });
          done += chunk.length;
          show(done, ids.length);
        });
      });
    }, Promise.resolve()).then(function () {
      status.textContent = fill(messages.done, {issued: issued.length, failed: failedCount});
      if (issued.length) {
        zipLink.href = form.dataset.zipUrl + "?" + issued.map(function (id) {
          return "id=" + encodeURIComponent(id);
        }).join("&");
        zipLink.hidden = false;
      }
    }).catch(function (error) {
      // A refused signature (or form) says why; anything else: the general message.
      status.textContent = /^\d+$/.test(error.message) ? messages.error : error.message;
    }).then(function () { button.disabled = false; });
  });
}());
