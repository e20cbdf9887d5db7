// The signature pad of a hand-out: a finger draws on the canvas; on submit the drawing goes
// into the hidden field as a PNG data URL (the server keeps the image and its sha256).
(function () {
  var canvas = document.getElementById("signature-pad");
  if (!canvas) return;
  var field = document.getElementById(canvas.dataset.target);
  var ctx = canvas.getContext("2d");
  var drawing = false, drawn = false;
  ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  function at(e) {
    var r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  }
  canvas.addEventListener("pointerdown", function (e) {
    drawing = true; var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
    canvas.setPointerCapture(e.pointerId); e.preventDefault();
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!drawing) return; var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
  });
  canvas.addEventListener("pointerup", function () { drawing = false; });
  document.getElementById("signature-clear").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; field.value = "";
  });
  canvas.closest("form").addEventListener("submit", function () {
    field.value = drawn ? canvas.toDataURL("image/png") : "";
  });
  canvas.dataset.ready = "1";  // strokes count from here (a test waits for it)
})();
