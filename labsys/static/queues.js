/* Work queues: the item an action left off at is highlighted and focused; on the review
   queue J / K move between samples and A goes to the highlighted sample's signature
   (password) field, where Enter signs and accepts (keys are ignored while typing). */
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll(".queue-card"));
  if (!cards.length) { return; }
  var current = -1;

  function show(index) {
    if (index < 0 || index >= cards.length) { return; }
    if (current >= 0) { cards[current].classList.remove("current"); }
    current = index;
    var card = cards[index];
    card.classList.add("current");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "start" });
  }

  function accept(card) {
    var password = card.querySelector(".sign-password");
    if (password) { password.focus(); return; }
    var button = card.querySelector(".accept-all");
    if (button) { button.click(); }
  }

  var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
  var start = target ? cards.indexOf(target) : -1;
  if (start >= 0) { show(start); }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var key = event.key.toLowerCase();
    if (key === "j") { event.preventDefault(); show(current + 1); }
    else if (key === "k") { event.preventDefault(); show(Math.max(current - 1, 0)); }
    else if (key === "a" && current >= 0) { event.preventDefault(); accept(cards[current]); }
  });
})();
