// Turns every .map element into a Leaflet map. Without JavaScript the element keeps its
// link to OpenStreetMap. A .map with data-places holds several markers (the venues page).
(function () {
  "use strict";
  function init(element) {
    if (!window.L || element.dataset.ready) return;
    element.dataset.ready = "1";
    var places = element.dataset.places ? JSON.parse(document.getElementById(element.dataset.places).textContent) : [
      { lat: parseFloat(element.dataset.lat), lon: parseFloat(element.dataset.lon), name: element.dataset.label }
    ];
    element.textContent = "";
    var map = L.map(element, { scrollWheelZoom: false });
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
    }).addTo(map);
    var bounds = [];
    places.forEach(function (place) {
      var marker = L.marker([place.lat, place.lon], { title: place.name, alt: place.name }).addTo(map);
      if (place.url) {
        var link = document.createElement("a");
        link.href = place.url;
        link.textContent = place.name;
        marker.bindPopup(link);
      }
      bounds.push([place.lat, place.lon]);
    });
    if (bounds.length === 1) map.setView(bounds[0], 16);
    else if (bounds.length) map.fitBounds(bounds, { padding: [20, 20] });
  }
  function all() { document.querySelectorAll(".map").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all);
  else all();
})();
