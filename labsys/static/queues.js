/* Work queues: the item an action left off at is highlighted and focused; J / K move between
   the queue's items (the review queue's cards, a list's rows), on the review queue A goes to
   the highlighted sample's signature (password) field, where Enter signs and accepts; on a
   list Enter opens the highlighted row's sample; / goes to the search field.  Keys are
   ignored while typing. */
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll(".queue-card, .queue-row"));
  var search = document.getElementById("f-q");
  var current = -1;

  function show(index) {
    if (index < 0 || index >= items.length) { return; }
    if (current >= 0) { items[current].classList.remove("current"); }
    current = index;
    var item = items[index];
    item.classList.add("current");
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: item.classList.contains("queue-row") ? "nearest" : "start" });
  }

  function accept(card) {
    var password = card.querySelector(".sign-password");
    if (password) { password.focus(); return; }
    var button = card.querySelector(".accept-all");
    if (button) { button.click(); }
  }

  function open(row) {
    var link = row.querySelector("a[href]");
    if (link) { link.click(); }
  }

  var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  var start = target ? items.indexOf(target) : -1;
  if (start >= 0) { show(start); }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key.toLowerCase();
    var item = current >= 0 ? items[current] : null;
    if (key === "/" && search) { event.preventDefault(); search.focus(); search.select(); }
    else if (key === "j") { event.preventDefault(); show(current + 1); }
    else if (key === "k") { event.preventDefault(); show(Math.max(current - 1, 0)); }
    else if (key === "a" && item && item.classList.contains("queue-card")) { event.preventDefault(); accept(item); }
    else if (key === "enter" && item && item.classList.contains("queue-row") && event.target === item) { event.preventDefault(); open(item); }
  });
})();
