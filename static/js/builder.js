// The embed builder: every change updates the preview and the snippet at once (without
// JavaScript, the form reloads the page with both). The snippet is built from the form the
// same way diary.embed.snippet builds them on the server (the script and the iframe).
(function () {
  "use strict";
  var form = document.getElementById("embed-builder");
  if (!form) return;
  var snippet = document.getElementById("embed-snippet");
  var iframe = document.getElementById("embed-iframe");
  var preview = document.getElementById("embed-preview");
  var site = snippet.getAttribute("data-site");
  var defaults = { accent: "b00d26", theme: "light", layout: "list", limit: "20", lang: "en" };
  var look = ["accent", "theme", "layout", "limit", "lang"];

  function escape(text) {
    return text.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/'/g, "&#x27;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function update() {
    var query = new URLSearchParams();
    var frame = new URLSearchParams();
    var attributes = [];
    new FormData(form).forEach(function (value, name) {
      value = String(value).trim();
      if (!value) return;
      if (name === "accent") value = value.replace(/^#/, "").toLowerCase();
      if (look.indexOf(name) === -1) query.append(name, value);
      frame.append(name, value);
    });
    attributes.push('data-query="' + escape(query.toString()) + '"');
    look.forEach(function (name) {
      var value = frame.get(name);
      if (value && value !== defaults[name]) attributes.push("data-" + name + '="' + escape(value) + '"');
    });
    snippet.value = '<script src="' + site + snippet.getAttribute("data-script") +
      '" ' + attributes.join(" ") + " async></" + "script>";
    // The iframe takes what the script passes on: the selection, then the look's changes.
    var framed = new URLSearchParams(query);
    look.forEach(function (name) {
      var value = frame.get(name);
      if (value && value !== defaults[name]) framed.append(name, value);
    });
    var src = site + "/embed/" + (framed.toString() ? "?" + framed.toString() : "");
    iframe.value = '<iframe src="' + escape(src) + '" title="' + escape(iframe.getAttribute("data-title")) +
      '" style="width:100%;height:600px;border:0" loading="lazy"></iframe>';
    preview.src = "/embed/?" + frame.toString();
  }

  form.addEventListener("change", update);
  form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
})();
