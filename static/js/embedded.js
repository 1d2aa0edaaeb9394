// Inside the embedded agenda: tell the page that holds it how tall the agenda is, so that
// static/embed.js can size the iframe (the height is all it says; any page may hear it).
(function () {
  "use strict";
  if (window.parent === window) return;
  var content = document.getElementById("embedded-agenda");
  var last = 0;
  function tell() {
    var height = Math.ceil(content.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ cityAgendaEmbed: true, height: height }, "*");
  }
  if (window.ResizeObserver) new ResizeObserver(tell).observe(content);
  window.addEventListener("load", tell);
  tell();
})();
