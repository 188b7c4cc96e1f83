// Photos and videos taken on site with the phone's camera. Each is hashed the moment it is
// taken, with the device's time, and kept in the browser (IndexedDB) until it is uploaded
// through tus; offline it waits for the network. The server's SHA-256 of what it stored is
// compared with the one computed at capture: a mismatch is shown, never passed over.
(function () {
  var box = document.getElementById("capture");
  if (!box || !window.tus) return;
  var input = box.querySelector("input[type=file]");
  var list = document.getElementById("capture-queue");
  var upload = document.getElementById("upload-form");
  var running = false;

  function store(mode, work) { return LawTrailLocal.store("uploads", mode, work); }
  function items() {
    return store("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (i) { return i.caseNo === box.dataset.caseNo; });
    });
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }
  function sha256(blob) {
    return blob.arrayBuffer().then(function (bytes) {
      // crypto.subtle exists on HTTPS and localhost only; the plain script serves the rest.
      if (window.crypto && crypto.subtle) return crypto.subtle.digest("SHA-256", bytes).then(hex);
      return window.LawTrailSHA256.hex(new Uint8Array(bytes));
    });
  }
  function clock(iso) { return iso.replace("T", " ").slice(0, 19); }
  var STATES = {
    queued: function () { return navigator.onLine ? "等待上传" : "离线，等待联网后上传"; },
    uploading: function () { return "正在上传…"; },
    done: function () { return "已上传，校验值一致"; },
    mismatch: function (i) { return "校验值不一致！拍摄时 " + i.sha256.slice(0, 12) + "…，服务器 " + i.serverSha256.slice(0, 12) + "…，请核查"; },
    failed: function (i) { return "上传失败：" + (i.error || "") + "（将在联网时重试）"; }
  };
  function render() {
    return items().then(function (all) {
      list.innerHTML = "";
      all.forEach(function (i) {
        var li = document.createElement("li");
        li.dataset.state = i.state;
        li.className = "capture-" + i.state;
        li.textContent = i.name + " · 拍摄于 " + clock(i.capturedLocal) + " · " + STATES[i.state](i);
        list.appendChild(li);
      });
    });
  }

  function send(item) {
    return new Promise(function (resolve) {
      var serverSha = "";
      var csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
      var job = new tus.Upload(item.blob, {
        endpoint: box.dataset.endpoint,
        chunkSize: 8 * 1024 * 1024,
        retryDelays: [0, 1000, 3000, 5000],
        headers: { "X-CSRFToken": decodeURIComponent(csrf) },
        // The capture time is the record's time: upload deadlines count from it.
        metadata: { filename: item.name, filetype: item.type, case_no: item.caseNo, officer_cert: item.officerCert,
                    activity: item.activity, recorded_at: item.capturedAt },
        onAfterResponse: function (req, res) { serverSha = res.getHeader("X-Content-SHA256") || serverSha; },
        onError: function (err) { item.state = "failed"; item.error = navigator.onLine ? String(err.message || err).slice(0, 80) : "离线"; resolve(item); },
        onSuccess: function () {
          item.serverSha256 = serverSha;
          item.state = serverSha === item.sha256 ? "done" : "mismatch";
          item.uploadedAt = new Date().toISOString();
          resolve(item);
        }
      });
      job.start();
    }).then(function (done) {
      if (done.state === "done") delete done.blob;  // kept on the server now; a mismatch keeps the original here
      return store("readwrite", function (s) { return s.put(done); });
    });
  }
  function run() {
    if (running || !navigator.onLine) return render();
    running = true;
    return items().then(function (all) {
      var waiting = all.filter(function (i) { return i.state === "queued" || i.state === "failed"; });
      return waiting.reduce(function (chain, item) {
        return chain.then(function () {
          item.state = "uploading";
          return store("readwrite", function (s) { return s.put(item); }).then(render).then(function () { return send(item); });
        });
      }, Promise.resolve());
    }).then(function () { running = false; return render(); }, function () { running = false; return render(); });
  }

  input.addEventListener("change", function () {
    var file = input.files[0];
    if (!file) return;
    var now = new Date();
    var local = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
    sha256(file).then(function (digest) {
      var item = {
        id: now.getTime() + "-" + Math.random().toString(36).slice(2, 8), caseNo: box.dataset.caseNo,
        name: file.name || ("现场" + (file.type.indexOf("video") === 0 ? "录像.mp4" : "照片.jpg")),
        type: file.type || "application/octet-stream", blob: file, sha256: digest, capturedAt: now.toISOString(),
        capturedLocal: local, state: "queued",
        officerCert: upload ? upload.elements.officer_cert.value : "",
        activity: upload ? upload.elements.activity.value : ""
      };
      input.value = "";
      return store("readwrite", function (s) { return s.put(item); });
    }).then(run);
  });
  window.addEventListener("online", run);
  window.addEventListener("offline", render);
  run();
})();
