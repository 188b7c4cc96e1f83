// Photos, videos and sound taken on site: with the phone's camera app (<input capture>) or
// recorded in the page (MediaRecorder). Each is hashed the moment it is taken, with the
// device's time, and kept in the browser (IndexedDB) until it is uploaded through tus;
// offline it waits for the network. The hash goes with the file: the server flags a file
// that differs from it, and this page compares the server's SHA-256 with it too.
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
                    activity: item.activity, recorded_at: item.capturedAt, sha256: item.sha256 },
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

  function two(n) { return (n < 10 ? "0" : "") + n; }
  // `at`: when it was taken (a recording: when it started); the upload deadline counts from it.
  function keep(blob, name, at) {
    var local = new Date(at.getTime() - at.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
    return LawTrailSHA256.digest(blob).then(function (digest) {
      var item = {
        id: at.getTime() + "-" + Math.random().toString(36).slice(2, 8), caseNo: box.dataset.caseNo,
        name: name, type: blob.type || "application/octet-stream", blob: blob, sha256: digest,
        capturedAt: at.toISOString(), capturedLocal: local, state: "queued",
        officerCert: upload ? upload.elements.officer_cert.value : "",
        activity: upload ? upload.elements.activity.value : ""
      };
      return store("readwrite", function (s) { return s.put(item); });
    }).then(run);
  }

  input.addEventListener("change", function () {
    var file = input.files[0];
    if (!file) return;
    input.value = "";
    keep(file, file.name || ("现场" + (file.type.indexOf("video") === 0 ? "录像.mp4" : "照片.jpg")), new Date());
  });

  // Recording in the page: the camera or the microphone, until 停止并保存.
  var panel = document.getElementById("recorder"), note = document.getElementById("capture-note");
  var buttons = box.querySelectorAll("[data-record]");
  if (window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    buttons.forEach(function (b) { b.hidden = false; });
  }
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var video = button.dataset.record === "video";
      navigator.mediaDevices.getUserMedia(video ? { video: { facingMode: "environment" }, audio: true } : { audio: true })
        .then(function (stream) { record(stream, video); }, function (err) {
          note.textContent = "无法使用" + (video ? "摄像头" : "麦克风") + "（" + (err.name === "NotAllowedError" ? "未获允许" : err.name) +
            "）：请在浏览器设置中允许本系统使用，或用“现场拍照 / 录像”调用相机。";
        });
    });
  });
  function record(stream, video) {
    var chunks = [], started = new Date(), recorder = new MediaRecorder(stream);
    var preview = panel.querySelector("video"), clock = panel.querySelector(".rec-time");
    panel.querySelector(".rec-what").textContent = video ? "正在录像" : "正在录音";
    preview.hidden = !video;
    if (video) { preview.srcObject = stream; preview.play().catch(function () {}); }
    buttons.forEach(function (b) { b.disabled = true; });
    panel.hidden = false;
    var timer = window.setInterval(function () {
      var s = Math.floor((Date.now() - started.getTime()) / 1000);
      clock.textContent = two(Math.floor(s / 60)) + ":" + two(s % 60);
    }, 500);
    recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
    recorder.onstop = function () {
      window.clearInterval(timer);
      stream.getTracks().forEach(function (t) { t.stop(); });
      preview.srcObject = null;
      panel.hidden = true;
      clock.textContent = "00:00";
      buttons.forEach(function (b) { b.disabled = false; });
      var type = (recorder.mimeType || (video ? "video/webm" : "audio/webm")).split(";")[0];
      var ext = type.indexOf("mp4") >= 0 ? (video ? ".mp4" : ".m4a") : type.indexOf("ogg") >= 0 ? ".ogg" : ".webm";
      var stamp = started.getFullYear() + two(started.getMonth() + 1) + two(started.getDate()) + "-" +
        two(started.getHours()) + two(started.getMinutes()) + two(started.getSeconds());
      keep(new Blob(chunks, { type: type }), (video ? "现场录像-" : "现场录音-") + stamp + ext, started);
    };
    panel.querySelector("[data-testid=record-stop]").onclick = function () { recorder.stop(); };
    recorder.start(1000);
  }
  window.addEventListener("online", run);
  window.addEventListener("offline", render);
  run();
})();
