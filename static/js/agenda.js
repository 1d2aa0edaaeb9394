// The agenda's filter form sends only the parameters that have a value, so the URL it pushes
// (and the one a visitor bookmarks, shares or subscribes to) is the selection itself. Without
// JavaScript the server redirects to the same clean URL.
(function () {
  "use strict";
  document.addEventListener("htmx:configRequest", function (event) {
    var data = event.detail.formData;
    if (!data || !event.detail.elt.matches || !event.detail.elt.matches("#agenda-filters")) return;
    Array.from(new Set(data.keys())).forEach(function (name) {
      var values = data.getAll(name).filter(function (value) {
        return typeof value !== "string" || value.trim() !== "";
      });
      data.delete(name);
      values.forEach(function (value) { data.append(name, value); });
    });
  });
})();

// A preset and a date range exclude each other (the server lets typed dates win): choosing
// one clears the other in the form, so what it shows is what applies.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || form.id !== "agenda-filters") return;
    if (event.target.name === "when" && event.target.value) {
      form.querySelectorAll("input[name=start], input[name=end]").forEach(function (input) {
        input.value = "";
      });
    } else if ((event.target.name === "start" || event.target.name === "end") && event.target.value) {
      var any = form.querySelector("input[name=when][value='']");
      if (any) any.checked = true;
    }
  }, true);
})();

// On a phone the filters fold away, so the first screen shows events; one tap opens them.
(function () {
  "use strict";
  var panel = document.getElementById("filter-panel");
  if (panel && window.matchMedia("(max-width: 40rem)").matches) panel.open = false;
})();
