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
    mismatch: function () { return "校验值不一致！服务器收到的文件与拍摄时的不同，本机仍保留原件，请核查"; },
    failed: function (i) { return "上传失败：" + (i.error || "") + "（将在联网时重试）"; }
  };
  function render() {
    return items().then(function (all) {
      list.innerHTML = "";
      all.forEach(function (i) {
        var li = document.createElement("li");
        li.dataset.state = i.state;
        li.className = "capture-" + i.state;
        li.textContent = i.name + " ";
        if (i.interrupted) {  // the page went away mid-recording: kept as far as it got
          var mark = li.appendChild(document.createElement("span"));
          mark.className = "badge badge-warn";
          mark.dataset.testid = "interrupted";
          mark.textContent = "录制中断（已保存至中断时）";
        }
        li.appendChild(document.createTextNode(" · 拍摄于 " + clock(i.capturedLocal) + " · " + STATES[i.state](i)));
        list.appendChild(li);
      });
    });
  }

  // Why an upload failed, in the server's words (its errors are Chinese), never tus's English.
  function refusal(err) {
    if (!navigator.onLine) return "离线";
    try { return JSON.parse(err.originalResponse.getBody()).detail || "服务器暂时无法接收"; } catch (e) { return "网络中断"; }
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
                    activity: item.activity, recorded_at: item.capturedAt, sha256: item.sha256,
                    method: item.method || "" },
        onAfterResponse: function (req, res) { serverSha = res.getHeader("X-Content-SHA256") || serverSha; },
        onError: function (err) { item.state = "failed"; item.error = refusal(err); resolve(item); },
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
  // An item still "uploading" when its page went away is sent again by the next page (tus
  // resumes it; the server keeps one recording per file).
  var again = false, first = true;
  function run() {
    if (!navigator.onLine) return render();
    if (running) { again = true; return render(); }  // e.g. a recovered recording queued meanwhile
    running = true;
    again = false;
    var resend = first;
    first = false;
    return items().then(function (all) {
      var waiting = all.filter(function (i) {
        return i.state === "queued" || i.state === "failed" || (resend && i.state === "uploading");
      });
      return waiting.reduce(function (chain, item) {
        return chain.then(function () {
          item.state = "uploading";
          return store("readwrite", function (s) { return s.put(item); }).then(render).then(function () { return send(item); });
        });
      }, Promise.resolve());
    }).then(null, function () {}).then(function () { running = false; return again ? run() : render(); });
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }
  // `fields`: what was taken and when (`capturedAt`: a recording's start; the upload deadline
  // counts from it), overriding what the page shows now (a recording recovered later).
  function keep(blob, fields) {
    var at = new Date(fields.capturedAt);
    var local = new Date(at.getTime() - at.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
    return LawTrailSHA256.digest(blob).then(function (digest) {
      var item = Object.assign({
        id: at.getTime() + "-" + Math.random().toString(36).slice(2, 8), caseNo: box.dataset.caseNo,
        type: blob.type || "application/octet-stream", state: "queued",
        officerCert: upload ? upload.elements.officer_cert.value : "",
        activity: upload ? upload.elements.activity.value : ""
      }, fields, { blob: blob, sha256: digest, capturedAt: at.toISOString(), capturedLocal: local });
      return store("readwrite", function (s) { return s.put(item); });
    }).then(function (key) { run(); return key; });  // the item's id, or null when it could not be kept
  }

  input.addEventListener("change", function () {
    var file = input.files[0];
    if (!file) return;
    input.value = "";
    keep(file, { name: file.name || ("现场" + (file.type.indexOf("video") === 0 ? "录像.mp4" : "照片.jpg")),
                 capturedAt: new Date().toISOString() });
  });

  // Recording in the page: the camera or the microphone, until 停止并保存. Every second's piece
  // is written to the browser's store as it comes ("takes": row 0 says what is recorded, rows
  // 1, 2, … are the pieces), so a page left or killed mid-recording loses at most the last
  // second: the next page puts what was kept in the queue (recover below).
  var panel = document.getElementById("recorder"), note = document.getElementById("capture-note");
  var buttons = box.querySelectorAll("[data-record]");
  // While the page records, the camera app is not offered either: it would take the camera
  // (or the microphone) from the recording.
  function capturing(on) {
    buttons.forEach(function (b) { b.disabled = on; });
    input.disabled = on;
    input.closest(".capture-button").classList.toggle("is-disabled", on);
  }
  var REFUSED = {
    NotAllowedError: "请在浏览器设置中允许本网站使用摄像头和麦克风",
    SecurityError: "请在浏览器设置中允许本网站使用摄像头和麦克风",
    NotFoundError: "本机没有找到可用的设备",
    NotReadableError: "设备正被其他应用使用，请关闭其他应用后重试"
  };
  if (window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    buttons.forEach(function (b) { b.hidden = false; });
  }
  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var video = button.dataset.record === "video";
      navigator.mediaDevices.getUserMedia(video ? { video: { facingMode: "environment" }, audio: true } : { audio: true })
        .then(function (stream) { record(stream, video); }, function (err) {
          note.textContent = "无法使用" + (video ? "摄像头" : "麦克风") + "：" + (REFUSED[err && err.name] || "请稍后重试") +
            "；也可用“现场拍照 / 录像”调用手机相机。";
        });
    });
  });
  function takes(mode, work) { return LawTrailLocal.store("takes", mode, work); }
  function pieces(take) { return IDBKeyRange.bound([take, 0], [take, Infinity]); }
  function drop(take) { return takes("readwrite", function (s) { return s.delete(pieces(take)); }); }
  function fileName(meta) {
    var at = new Date(meta.capturedAt), video = meta.type.indexOf("video") === 0;
    var ext = meta.type.indexOf("mp4") >= 0 ? (video ? ".mp4" : ".m4a")
      : meta.type.indexOf("ogg") >= 0 ? ".ogg" : ".webm";
    return (video ? "现场录像-" : "现场录音-") + at.getFullYear() + two(at.getMonth() + 1) + two(at.getDate()) + "-" +
      two(at.getHours()) + two(at.getMinutes()) + two(at.getSeconds()) + ext;
  }
  // While a page records, it holds its take's lock: another page recovers a take only once
  // the page recording it is gone (or, for a page still recording, after it saved the take).
  function holding(take, work) {
    if (!navigator.locks) return Promise.resolve().then(work);
    return navigator.locks.request("lawtrail-take-" + take, work);
  }
  // Without locks (older browsers), a take nothing was written to for 5 s is taken as left.
  function left(rows) {
    return !!navigator.locks || Date.now() - Math.max.apply(null, rows.map(function (r) { return r.at || 0; })) > 5000;
  }
  function warn(e) { e.preventDefault(); e.returnValue = "正在录制"; }  // the browser shows its own words
  function record(stream, video) {
    var take = Date.now() + "-" + Math.random().toString(36).slice(2, 8), started = new Date();
    var recorder = new MediaRecorder(stream), chunks = [], seq = 0, kept = true;
    var meta = { take: take, seq: 0, at: Date.now(), caseNo: box.dataset.caseNo, capturedAt: started.toISOString(),
                 type: (recorder.mimeType || (video ? "video/webm" : "audio/webm")).split(";")[0],
                 officerCert: upload ? upload.elements.officer_cert.value : "",
                 activity: upload ? upload.elements.activity.value : "" };
    var preview = panel.querySelector("video"), clock = panel.querySelector(".rec-time");
    var stopped, done = new Promise(function (resolve) { stopped = resolve; });
    panel.querySelector(".rec-what").textContent = video ? "正在录像" : "正在录音";
    preview.hidden = !video;
    if (video) { preview.srcObject = stream; preview.play().catch(function () {}); }
    capturing(true);
    panel.hidden = false;
    window.addEventListener("beforeunload", warn);
    var timer = window.setInterval(function () {
      var s = Math.floor((Date.now() - started.getTime()) / 1000);
      clock.textContent = two(Math.floor(s / 60)) + ":" + two(s % 60);
    }, 500);
    // Pieces are written in order (one store, one transaction each); a piece that could not
    // be written ends what a recovery would take, and the officer is told to stay.
    var writing = Promise.resolve();
    recorder.ondataavailable = function (e) {
      if (!e.data || !e.data.size) return;
      chunks.push(e.data);
      var row = { take: take, seq: ++seq, blob: e.data, at: Date.now() };
      var known = seq > 1 || !e.data.type;  // the first piece says what the recorder really makes
      if (!known) meta.type = e.data.type.split(";")[0];
      writing = writing.then(function () {
        return kept && takes("readwrite", function (s) {
          if (!known) s.put(meta);
          return s.put(row);
        }).then(function (key) {
          if (key) return;
          kept = false;
          note.textContent = "本机存储空间不足，录制内容暂存在本页：请勿离开本页，录完点“停止并保存”。";
        });
      });
    };
    recorder.onstop = function () {
      window.clearInterval(timer);
      stream.getTracks().forEach(function (t) { t.stop(); });
      preview.srcObject = null;
      panel.hidden = true;
      clock.textContent = "00:00";
      capturing(false);
      meta.type = (recorder.mimeType || meta.type).split(";")[0];
      // Queued under the take's id first, its pieces removed after: a page that goes in
      // between leaves pieces that recover() finds already queued.
      writing.then(function () {
        var blob = new Blob(chunks, { type: meta.type });
        return keep(blob, { id: take, name: fileName(meta), capturedAt: meta.capturedAt });
      }).then(function (key) {
        if (key) return drop(take);  // not queued (storage full): its pieces stay for the next page
      }).then(function () {
        window.removeEventListener("beforeunload", warn);
        stopped();
      });
    };
    panel.querySelector("[data-testid=record-stop]").onclick = function () { recorder.stop(); };
    holding(take, function () {
      return takes("readwrite", function (s) { return s.put(meta); }).then(function () {
        recorder.start(1000);
        return done;
      });
    });
  }
  // Takes a page left unfinished (navigated away, tab or phone shut down): queued as far as
  // they were kept, marked 录制中断, with the time recording started.
  function recover() {
    return takes("readonly", function (s) { return s.getAllKeys(); }).then(function (keys) {
      var open = {};
      (keys || []).forEach(function (k) { open[k[0]] = true; });
      Object.keys(open).forEach(function (take) { holding(take, function () { return salvage(take); }); });
    });
  }
  function salvage(take) {
    return Promise.all([
      takes("readonly", function (s) { return s.getAll(pieces(take)); }),
      store("readonly", function (s) { return s.get(take); })
    ]).then(function (found) {
      var rows = found[0] || [], meta = rows[0], parts = [];
      if (!rows.length || !left(rows)) return;
      if (found[1]) return drop(take);  // queued before the page went
      if (meta.seq !== 0) return;
      for (var i = 1; i < rows.length && rows[i].seq === i; i++) parts.push(rows[i].blob);
      if (!parts.length) return drop(take);  // stopped before the first second: nothing was recorded
      var video = meta.type.indexOf("video") === 0;
      return keep(new Blob(parts, { type: meta.type }), {
        id: take, name: fileName(meta), capturedAt: meta.capturedAt, caseNo: meta.caseNo, interrupted: true,
        method: (video ? "手机页面内录像" : "手机页面内录音") + "，录制中断（已保存至中断时）",
        officerCert: meta.officerCert, activity: meta.activity
      }).then(function (key) { if (key) return drop(take); });
    });
  }
  window.addEventListener("online", run);
  window.addEventListener("offline", render);
  recover();
  run();
})();
