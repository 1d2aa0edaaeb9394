// The Event Diary on your site, in one line:
//   <script src="https://…/static/embed.js" data-query="venue=flagey" async></script>
// inserts an iframe of the agenda's /embed/ page for that selection where the script stands,
// and sizes it to its content. Optional: data-accent (six hex digits), data-theme (light,
// dark), data-layout (list, compact), data-limit (1 to 50), data-lang (en, fr, nl).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src).origin;
  var params = new URLSearchParams(script.getAttribute("data-query") || "");
  ["accent", "theme", "layout", "limit", "lang"].forEach(function (name) {
    var value = script.getAttribute("data-" + name);
    if (value) params.set(name, value);
  });
  var frame = document.createElement("iframe");
  var query = params.toString();
  frame.src = origin + "/embed/" + (query ? "?" + query : "");
  frame.title = script.getAttribute("data-title") || "Event Diary";
  frame.loading = "lazy";
  frame.setAttribute("scrolling", "no");
  frame.style.cssText = "width:100%;height:400px;border:0;display:block;overflow:hidden";
  script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener("message", function (event) {
    // Only our agenda, and only this iframe of it (a page may hold several).
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (!data || data.cityAgendaEmbed !== true) return;
    var height = Number(data.height);
    if (isFinite(height) && height > 0 && height < 100000) frame.style.height = Math.ceil(height) + "px";
  });
})();
