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
    // Several places are grouped while they would overlap (Leaflet.markercluster): each
    // group is one target large enough to click, named by how many places it holds.
    var layer = map;
    if (places.length > 1 && L.markerClusterGroup) {
      layer = L.markerClusterGroup({
        iconCreateFunction: function (cluster) {
          var count = cluster.getChildCount();
          var name = document.createElement("span");
          name.className = "visually-hidden";
          name.textContent = " " + (element.dataset.clusterLabel || "");
          var inner = document.createElement("span");
          inner.textContent = count;
          inner.appendChild(name);
          var html = document.createElement("div");
          html.appendChild(inner);
          var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
          return L.divIcon({ html: html, className: "marker-cluster marker-cluster-" + size, iconSize: L.point(40, 40) });
        }
      }).addTo(map);
    }
    var bounds = [];
    places.forEach(function (place) {
      var marker = L.marker([place.lat, place.lon], { title: place.name, alt: place.name }).addTo(layer);
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
