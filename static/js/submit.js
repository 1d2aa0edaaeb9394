// The organisers' form: the cursor goes to the first field in error, and the repetition
// controls show only for the kind of repetition chosen. Without JavaScript every control
// shows and the error notice links to the first field.
(function () {
  "use strict";
  function ready() {
    var form = document.querySelector("form.submission");
    if (!form) return;
    var invalid = form.querySelector("[aria-invalid=true]");
    if (invalid && form.querySelector(".notice[role=alert]")) invalid.focus();
    var repeat = form.querySelector("[name=repeat]");
    if (!repeat) return;
    function show(name, visible) {
      var field = form.querySelector("[name=" + name + "]");
      var group = field && field.closest(".inline-fields, div");
      if (group) group.hidden = !visible;
    }
    function update() {
      show("weekly_days", repeat.value === "weekly");
      show("monthly_ordinal", repeat.value === "monthly");
      show("repeat_until", repeat.value !== "");
    }
    repeat.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
