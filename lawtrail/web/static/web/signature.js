// Signature pads: draw with mouse, pen or finger; the drawing is sent as a PNG data URL.
document.querySelectorAll("form.sign-form").forEach(function (form) {
  var canvas = form.querySelector("canvas.signature-pad");
  var field = form.querySelector("input[name=image_data]");
  var ctx = canvas.getContext("2d");
  var drawing = false, drawn = false;
  function pen() { ctx.lineWidth = 2.5; ctx.lineCap = "round"; ctx.strokeStyle = "#111"; }
  // On a phone the pad takes the screen's width, and is drawn at that size (not scaled up
  // from the desktop's 480 px), tall enough for a name written with a finger.
  var wrap = canvas.parentNode;
  function fit() {
    var box = canvas.getBoundingClientRect(), width = Math.round(box.width);
    if (drawn || !width) return;
    if (wrap.classList.contains("pad-fullscreen")) { canvas.width = width; canvas.height = Math.round(box.height); }
    else if (width < 480 && canvas.width !== width) { canvas.width = width; canvas.height = Math.round(width * 0.55); }
    else return;
    pen();
  }
  // On a phone the party may sign across the whole screen (turning the phone sideways gives
  // a wider pad: it is fitted again as long as nothing is drawn).
  var full = form.querySelector(".pad-full");
  if (full) full.addEventListener("click", function () {
    var on = wrap.classList.toggle("pad-fullscreen");
    full.textContent = on ? "完成" : "全屏签名";
    window.setTimeout(fit, 50);
  });
  pen();
  fit();
  var box = form.closest("details");
  if (box) box.addEventListener("toggle", fit);
  window.addEventListener("resize", fit);
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
    ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; fit();
  });
  form.addEventListener("submit", function () {
    field.value = drawn ? canvas.toDataURL("image/png") : "";
  });
});

// The device's clock at signing is kept beside the server's time.
document.querySelectorAll("form.sign-form, form.refuse-form").forEach(function (form) {
  form.addEventListener("submit", function () {
    var field = form.querySelector("input[name=device_time]");
    if (field) field.value = new Date().toISOString();
  });
});

// Signing for someone else than the signed-in user: that person proves himself here.
document.querySelectorAll("form.sign-form select.signer-choice").forEach(function (select) {
  var box = select.form.querySelector("fieldset.identity");
  function update() {
    var option = select.options[select.selectedIndex];
    var self = option && option.dataset.self === "1";
    box.hidden = self;
    box.querySelectorAll("input").forEach(function (input) { if (self) input.value = ""; });
  }
  // Start on the signed-in user when he may sign this slot.
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].dataset.self === "1") { select.selectedIndex = i; break; }
  }
  select.addEventListener("change", update);
  update();
});
