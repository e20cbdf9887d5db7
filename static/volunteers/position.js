// Volunteering pages that use the phone's position (the page's Permissions-Policy allows it
// to this site only; no inline script under the CSP).
// 1. The check-in form (data-position="ask"): on submit, ask the browser where the phone is
//    and send it with the check-in; if the volunteer refuses, or the phone cannot tell within
//    a few seconds, the check-in goes without it and is shown to the leader as 位置未核实.
// 2. "Use my current location" on the new activity's form fills the latitude and longitude.
(function () {
  "use strict";
  var geo = navigator.geolocation;

  document.querySelectorAll("form[data-position='ask']").forEach(function (form) {
    var asked = false;
    form.addEventListener("submit", function (event) {
      if (asked || !geo) return;
      event.preventDefault();
      asked = true;
      var status = form.querySelector("[data-position-status]");
      if (status) status.textContent = status.dataset.asking;
      var sent = false;
      function send() { if (!sent) { sent = true; form.requestSubmit ? form.requestSubmit() : form.submit(); } }
      geo.getCurrentPosition(function (where) {
        form.elements.latitude.value = where.coords.latitude.toFixed(6);
        form.elements.longitude.value = where.coords.longitude.toFixed(6);
        send();
      }, send, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  });

  var button = document.getElementById("use-my-location");
  if (button && geo) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var status = document.getElementById("location-status");
      status.textContent = button.dataset.asking;
      geo.getCurrentPosition(function (where) {
        document.getElementById("latitude").value = where.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = where.coords.longitude.toFixed(6);
        status.textContent = button.dataset.done;
      }, function () {
        status.textContent = button.dataset.failed;
      }, { enableHighAccuracy: true, timeout: 15000 });
    });
  }
})();
