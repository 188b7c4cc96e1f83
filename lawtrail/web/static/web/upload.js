// Chunked, resumable upload of audio/video with tus-js-client to /api/uploads/ (tus 1.0.0).
// A dropped connection is retried; after a page reload the same file resumes where it stopped.
// The file's SHA-256 is computed here first and sent with it: the server compares it with
// what it received and flags a difference, and this page says so instead of carrying on.
(function () {
  var form = document.getElementById("upload-form");
  if (!form || !window.tus) return;
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var pause = document.getElementById("upload-pause");
  var csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
  var current = null;

  function say(text) { status.textContent = text; }
  // Times typed here are Beijing time, as on the record forms, whatever the browser's zone.
  function beijingIso(value) { return value ? value + ":00+08:00" : ""; }
  function size(bytes) {
    return bytes < 1048576 ? Math.max(1, Math.round(bytes / 1024)) + " KB" : (bytes / 1048576).toFixed(1) + " MB";
  }

  form.elements.file.addEventListener("change", function () {
    var file = form.elements.file.files[0];
    // The size only: the file's name appears on the page once the recording is kept.
    if (file) say("已选择文件（" + size(file.size) + "），点击“开始上传”。");
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = form.elements.file.files[0];
    if (!file) { say("请选择文件"); return; }
    form.dataset.state = "hashing";
    say("正在计算文件校验值…");
    LawTrailSHA256.digest(file, function (done, total) {
      if (total) say("正在计算文件校验值…（" + Math.floor(done * 100 / total) + "%）");
    }).then(function (sha256) { start(file, sha256); });
  });

  function start(file, sha256) {
    var serverSha = "";
    var metadata = {
      filename: file.name, filetype: file.type || "application/octet-stream",
      case_no: form.dataset.caseNo, officer_cert: form.elements.officer_cert.value,
      activity: form.elements.activity.value, device_no: form.elements.device_no.value,
      recorded_at: beijingIso(form.elements.recorded_at.value), returned_at: beijingIso(form.elements.returned_at.value),
      proves: form.elements.proves.value, sha256: sha256
    };
    current = new tus.Upload(file, {
      endpoint: form.dataset.endpoint,
      chunkSize: Number(form.dataset.chunkSize) || 8 * 1024 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
      metadata: metadata,
      headers: { "X-CSRFToken": decodeURIComponent(csrf) },
      removeFingerprintOnSuccess: true,
      onAfterResponse: function (req, res) { serverSha = res.getHeader("X-Content-SHA256") || serverSha; },
      onProgress: function (sent, total) {
        if (!total) return; // nothing to report before the server has the file's size
        bar.hidden = false;
        bar.value = Math.floor(sent * 100 / total);
        say("已上传 " + size(sent) + " / " + size(total) + "（" + bar.value + "%）");
      },
      onShouldRetry: function (err) {
        var code = err.originalResponse ? err.originalResponse.getStatus() : 0;
        return code === 0 || code === 409 || code === 423 || code >= 500;
      },
      onError: function (err) {
        var body = err.originalResponse ? err.originalResponse.getBody() : "";
        var detail = "";
        try { detail = JSON.parse(body).detail; } catch (e) { detail = ""; }
        pause.hidden = true;
        say("上传失败：" + (detail || "网络中断，请稍后重新选择同一文件继续上传"));
        form.dataset.state = "error";
      },
      onSuccess: function () {
        bar.value = 100;
        pause.hidden = true;
        if (serverSha !== sha256) {
          form.dataset.state = "mismatch";
          status.classList.add("error");
          say("校验值不一致！服务器收到的文件与上传前在本机计算的校验值不同。文件已原样保存并标记为“校验值不一致”，" +
              "请核查后重新上传原始文件。");
          return;
        }
        form.dataset.state = "done";
        say("上传完成，服务器核对校验值一致，已保存。正在刷新…");
        window.setTimeout(function () { window.location.hash = "recordings"; window.location.reload(); }, 800);
      }
    });
    pause.hidden = false;
    pause.textContent = "暂停";
    form.dataset.state = "uploading";
    current.findPreviousUploads().then(function (previous) {
      if (previous.length) { current.resumeFromPreviousUpload(previous[0]); say("发现未完成的上传，继续上传…"); }
      current.start();
    });
  }

  pause.addEventListener("click", function () {
    if (!current) return;
    if (pause.textContent === "暂停") { current.abort(); pause.textContent = "继续"; say("已暂停"); }
    else { current.start(); pause.textContent = "暂停"; }
  });
})();
