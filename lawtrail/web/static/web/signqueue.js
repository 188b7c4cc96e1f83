// Signatures given on site without network. Signing offline keeps the pad's drawing in the
// browser (IndexedDB), hashed at capture with the device's time, the signer, and the record's
// form as the signer saw it; back online it is sent (after the draft it was given on) and the
// server checks both hashes: a signature altered since, or whose content changed since, is
// refused and shown as such. Only the officer signed in at capture can send it.
(function () {
  var section = document.getElementById("signatures");
  if (!section || !window.LawTrailLocal) return;
  var record = section.dataset.record, me = section.dataset.username;
  var recordForm = document.querySelector("form.record-form");
  var running = false, again = false;
  // A signature accepted before the server read the signatures this page shows is on the page
  // as the server has it (given, or lapsed since because what it covered changed): its card
  // would only repeat, or contradict, what the page says. Both times are the server's; a page
  // the service worker kept from before (offline) is older, and the card stays.
  var readAt = Number(section.dataset.readAt) || 0;

  function store(mode, work) { return LawTrailLocal.store("signatures", mode, work); }
  function items() {
    return store("readonly", function (s) { return s.getAll(); }).then(function (all) {
      return (all || []).filter(function (i) { return i.record === record; });
    });
  }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function clock(iso) {
    var d = new Date(iso);
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }
  var STATES = {
    queued: function () { return navigator.onLine ? "等待提交" : "离线，联网后自动提交"; },
    sending: function () { return "正在提交…"; },
    done: function (i) { return "已提交，服务器核对校验值一致，系统时间 " + i.signedAt; },
    refused: function (i) { return "未采用：" + i.error; },
    waiting: function (i) { return "须由 " + i.capture.captured_by + " 登录后提交"; }
  };
  function render() {
    return items().then(function (all) {
      section.querySelectorAll(".sign-queue").forEach(function (list) { list.innerHTML = ""; list.hidden = true; });
      all.forEach(function (i) {
        if (i.state === "done" && i.acceptedMs && readAt > i.acceptedMs) {
          store("readwrite", function (s) { return s.delete(i.id); });
          return;
        }
        var list = section.querySelector("#slot-" + i.capture.slot + " .sign-queue");
        if (!list) return;
        // Accepted: the slot is no longer 尚未签署 (the page shows the signature when next loaded).
        var unsigned = section.querySelector("#slot-" + i.capture.slot + " .not-signed");
        if (unsigned && i.state === "done") unsigned.hidden = true;
        var li = document.createElement("li");
        li.className = "sign-" + i.state;
        li.dataset.state = i.state;
        li.textContent = (i.state === "done" ? "✔ " : i.state === "refused" ? "✖ " : "○ ") + i.capture.signer_label +
          " · 离线签名，设备时间 " + clock(i.capture.device_time) + " · " + STATES[i.state](i);
        if (i.state === "done" || i.state === "refused") {
          var dismiss = document.createElement("button");
          dismiss.type = "button";
          dismiss.className = "btn btn-small";
          dismiss.textContent = "知道了";
          dismiss.addEventListener("click", function () {
            store("readwrite", function (s) { return s.delete(i.id); }).then(render);
          });
          li.appendChild(dismiss);
        }
        list.appendChild(li);
        list.hidden = false;
      });
    });
  }

  function csrf() { return decodeURIComponent((document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || ""); }
  function send(item) {
    return fetch(item.url, {
      method: "POST", body: JSON.stringify(item.capture), credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf() }
    }).then(function (response) {
      var path = new URL(response.url, location.href).pathname;
      if (response.redirected && /^\/(login|2fa)\//.test(path)) { item.state = "queued"; return item; }  // signed out: later
      return response.json().then(function (answer) {
        if (response.ok && answer.ok) {
          item.state = "done"; item.signedAt = answer.signed_at; item.acceptedMs = answer.accepted_ms;
          delete item.capture.image_data;
        }
        else if (response.status === 403 && !answer.error) item.state = "queued";  // the CSRF token of an expired session
        else { item.state = "refused"; item.error = answer.error || String(response.status); }
        return item;
      });
    }, function () { item.state = "queued"; return item; });
  }
  function run() {
    if (!navigator.onLine) return render();
    if (running) { again = true; return Promise.resolve(); }  // what came meanwhile is sent after this run
    running = true;
    return items().then(function (all) {
      var waiting = all.filter(function (i) { return i.state === "queued" || i.state === "waiting" || i.state === "sending"; });
      if (!waiting.length) return;
      // The draft the signature was given on reaches the server first.
      var draft = window.LawTrailAutosave ? LawTrailAutosave.save() : Promise.resolve();
      return draft.then(function () {
        return waiting.reduce(function (chain, item) {
          return chain.then(function () {
            if (item.capture.captured_by !== me) { item.state = "waiting"; return store("readwrite", function (s) { return s.put(item); }); }
            item.state = "sending";
            return store("readwrite", function (s) { return s.put(item); }).then(render)
              .then(function () { return send(item); })
              .then(function (done) { return store("readwrite", function (s) { return s.put(done); }); });
          });
        }, Promise.resolve());
      });
    }).then(finish, finish);
  }
  function finish() {
    running = false;
    if (again) { again = false; return run(); }
    return render();
  }

  function dataUrlBlob(url) {
    var parts = url.split(","), bytes = atob(parts[1]), array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
    return new Blob([array]);
  }
  function say(form, text) {
    var note = form.querySelector(".sign-offline-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "alert alert-warning sign-offline-note";
      note.setAttribute("role", "alert");
      form.insertBefore(note, form.firstChild.nextSibling);
    }
    note.textContent = text;
  }

  // Offline, 确认签署 keeps the signature here instead of sending the form. signature.js has
  // already put the drawing and the device's time into the form (its listeners come first).
  section.querySelectorAll("form.sign-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) return;
      event.preventDefault();
      var chooser = form.querySelector("select.signer-choice"), option = chooser && chooser.options[chooser.selectedIndex];
      if (chooser && !(option && option.dataset.self === "1")) {
        say(form, "离线时只能由当前登录的本人签署本栏；其他人员须联网后输入本人密码签署。");
        return;
      }
      var image = form.elements.image_data.value;
      if (!image) { say(form, "请在签名板上签名（离线时不能上传扫描件）。"); return; }
      var name = form.elements.signer_name ? form.elements.signer_name.value.trim() : option.textContent.split("（")[0];
      var capture = {
        record: record, slot: form.dataset.slot, signer_name: form.elements.signer_name ? name : "",
        officer: chooser ? chooser.value : "", method: form.elements.method.value,
        device_time: form.elements.device_time.value || new Date().toISOString(), captured_by: me,
        section: window.LawTrailAutosave ? LawTrailAutosave.fields() : "[]",
        attachments: section.dataset.attachments ? section.dataset.attachments.split(",") : [],
        image_data: image, signer_label: name
      };
      LawTrailSHA256.digest(dataUrlBlob(image)).then(function (imageSha) {
        capture.image_sha256 = imageSha;
        var lines = ["lawtrail-signature-capture/1", capture.record, capture.slot, capture.signer_name, capture.officer,
                     capture.method, capture.device_time, capture.captured_by, capture.image_sha256];
        return LawTrailSHA256.digest(capture.section).then(function (sectionSha) {
          return LawTrailSHA256.digest(lines.concat([sectionSha, capture.attachments.join(",")]).join("\n"));
        });
      }).then(function (digest) {
        capture.capture_sha256 = digest;
        var item = { id: Date.now() + "-" + Math.random().toString(36).slice(2, 8), record: record, url: form.dataset.captured,
                     state: "queued", capture: capture };
        return store("readwrite", function (s) { return s.put(item); });
      }).then(function () {
        form.reset();
        var clear = form.querySelector(".pad-clear");
        if (clear) clear.click();
        var note = form.querySelector(".sign-offline-note");
        if (note) note.remove();
        var box = form.closest("details");
        if (box) box.open = false;
        return run();  // the network may have come back while it was being hashed and kept
      });
    });
  });

  window.addEventListener("online", run);
  window.addEventListener("offline", render);
  run();
})();
