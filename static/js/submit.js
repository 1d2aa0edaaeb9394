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
    function show(id, visible) {
      var group = document.getElementById(id);
      if (group) group.hidden = !visible;
    }
    function update() {
      show("weekly-controls", repeat.value === "weekly");
      show("monthly-controls", repeat.value === "monthly");
      show("until-control", repeat.value === "weekly" || repeat.value === "monthly");
    }
    repeat.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
