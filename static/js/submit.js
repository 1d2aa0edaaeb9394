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

    // The repetition defaults from the start: weekly on its weekday, monthly on its place in
    // the month ("first Saturday"), until the organiser chooses otherwise.
    var start = form.querySelector("[name=start]");
    var ordinal = form.querySelector("[name=monthly_ordinal]");
    var weekday = form.querySelector("[name=monthly_weekday]");
    var codes = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
    var chosen = false;
    var ticked = false;
    form.querySelectorAll("[name=weekly_days]").forEach(function (box) {
      box.addEventListener("change", function () { ticked = false; });
    });
    [ordinal, weekday].forEach(function (select) {
      if (select) select.addEventListener("change", function () { chosen = true; });
    });
    function defaults() {
      var match = /^(\d{4})-(\d{2})-(\d{2})/.exec(start && start.value || "");
      if (!match) return;
      var day = new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
      var code = codes[day.getUTCDay()];
      var place = day.getUTCDate() > 28 ? "-1" : String(Math.ceil(day.getUTCDate() / 7));
      if (!chosen && ordinal && weekday) {
        if (ordinal.querySelector('option[value="' + place + '"]')) ordinal.value = place;
        weekday.value = code;
      }
      // The day ticked for the organiser follows the start until they tick one themselves.
      var days = form.querySelectorAll("[name=weekly_days]");
      var any = Array.prototype.some.call(days, function (box) { return box.checked; });
      if (!any || ticked) {
        Array.prototype.forEach.call(days, function (box) { box.checked = box.value === code; });
        ticked = true;
      }
    }
    if (start) start.addEventListener("change", defaults);
    repeat.addEventListener("change", defaults);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
