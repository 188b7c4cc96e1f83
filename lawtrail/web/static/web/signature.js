// Signature pads: draw with mouse, pen or finger; the drawing is sent as a PNG data URL.
document.querySelectorAll("form.sign-form").forEach(function (form) {
  var canvas = form.querySelector("canvas.signature-pad");
  var field = form.querySelector("input[name=image_data]");
  var ctx = canvas.getContext("2d");
  var drawing = false, drawn = false;
  ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
  function point(e) {
    var r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  }
  canvas.addEventListener("pointerdown", function (e) {
    drawing = true; var p = point(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
    canvas.setPointerCapture(e.pointerId);
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!drawing) return;
    var p = point(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
  });
  ["pointerup", "pointerleave"].forEach(function (name) {
    canvas.addEventListener(name, function () { drawing = false; });
  });
  form.querySelector(".pad-clear").addEventListener("click", function () {
    ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false;
  });
  form.addEventListener("submit", function () {
    field.value = drawn ? canvas.toDataURL("image/png") : "";
  });
});
