// Nothing typed is lost. A record form is kept in the browser (IndexedDB) every few seconds
// and saved to the server as the ordinary 保存草稿 (the same POST, with its CSRF token) every
// 30 seconds and when a field is left. A session that expired while the form was open asks
// for the password here, then saves; offline, the draft waits and is sent when back online.
(function () {
  var form = document.querySelector("form.record-form[data-autosave]");
  if (!form) return;
  var LOCAL_MS = 3000, SERVER_MS = 30000;
  var key = "record-" + form.dataset.record;
  var status = form.querySelector(".autosave-status");
  var loaded = serialise();          // the server's version, as this page shows it
  var lastSent = loaded, lastKept = loaded, sending = null, waitingForLogin = false;

  function serialise() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrfmiddlewaretoken" && typeof value === "string") pairs.push([name, value]);
    });
    return JSON.stringify(pairs);
  }
  function fill(serialised) {
    var pairs = JSON.parse(serialised), byName = {};
    pairs.forEach(function (p) { (byName[p[0]] = byName[p[0]] || []).push(p[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "submit") return;
      var values = byName[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") el.checked = values.indexOf(el.value) >= 0;
      else if (el.tagName === "SELECT" && el.multiple)
        Array.prototype.forEach.call(el.options, function (o) { o.selected = values.indexOf(o.value) >= 0; });
      else el.value = values.length ? values[0] : "";
    });
  }
  function clock(ms) {
    var d = new Date(ms), two = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }
  function say(text) { status.textContent = text; }

  // --- the browser's copy (IndexedDB; one row per record) ---------------------------------
  function store(mode, work) { return LawTrailLocal.store("drafts", mode, work); }
  function keepLocal() {
    var now = serialise();
    if (now === lastKept) return Promise.resolve();
    lastKept = now;
    // `base` is the server's version the edits started from, to tell later edits from a conflict.
    return store("readwrite", function (s) {
      return s.put({ key: key, url: location.pathname, fields: now, base: loaded, at: Date.now(), synced: now === lastSent });
    });
  }

  // --- the server's copy: the form's own POST --------------------------------------------
  function csrf() { return form.querySelector("input[name=csrfmiddlewaretoken]").value; }
  function saveToServer(byButton) {
    if (waitingForLogin) {
      if (byButton) panel.dataset.byButton = "1";  // saved as the button does once signed in again
      return Promise.resolve(false);
    }
    var now = serialise();
    if (!byButton && now === lastSent) return Promise.resolve(true);
    if (sending) return sending.then(function () { return saveToServer(byButton); });
    var body = new FormData(form);
    body.append("save", "");
    if (!byButton) body.append("autosave", "1");
    sending = fetch(form.getAttribute("action") || location.pathname, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf() }
    }).then(function (response) {
      var path = new URL(response.url, location.href).pathname;
      if ((response.redirected && /^\/(login|2fa)\//.test(path)) || response.status === 403 && !isJson(response)) {
        askPassword(byButton);
        return false;
      }
      return response.json().then(function (answer) {
        if (!response.ok) { say("未能保存到服务器：" + (answer.error || response.status) + "（内容已保存在本机）"); return false; }
        lastSent = now; loaded = now;
        store("readwrite", function (s) { return s.delete(key); });
        lastKept = now;
        say("已自动保存到服务器 " + clock(Date.now()));
        if (byButton || answer.voided) window.location.reload();  // the page shows the 草稿已保存 message
        return true;
      });
    }, function () {
      say("离线：内容已保存在本机 " + clock(Date.now()) + "，联网后自动保存到服务器");
      keepLocal();
      return false;
    }).finally(function () { sending = null; });
    return sending;
  }
  function isJson(response) { return (response.headers.get("Content-Type") || "").indexOf("json") >= 0; }

  // --- signing in again without leaving the page ------------------------------------------
  var panel = document.getElementById("relogin");
  function askPassword(byButton) {
    waitingForLogin = true;
    keepLocal();
    panel.hidden = false;
    if (byButton) panel.dataset.byButton = "1";
    say("登录已过期，内容已保存在本机");
    panel.querySelector("input[name=password]").focus();
  }
  panel.querySelector("form").addEventListener("submit", function (event) {
    event.preventDefault();
    var fields = new FormData(event.target);
    fields.append("username", form.dataset.username);
    fields.append("csrfmiddlewaretoken", csrf());
    var message = panel.querySelector(".relogin-error");
    fetch(panel.dataset.endpoint, {
      method: "POST", body: fields, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf(), "X-Requested-With": "XMLHttpRequest" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (!response.ok || !answer.ok) {
          message.textContent = answer.error || "账户因多次输错密码已被暂时锁定，请稍后再试";
          return;
        }
        document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (i) { i.value = answer.csrf; });
        event.target.reset();
        message.textContent = "";
        panel.hidden = true;
        waitingForLogin = false;
        saveToServer(panel.dataset.byButton === "1");
        panel.dataset.byButton = "";
      });
    }, function () { message.textContent = "网络不通，请联网后再试"; });
  });

  // --- a draft kept in this browser and not yet on the server ----------------------------
  store("readonly", function (s) { return s.get(key); }).then(function (local) {
    if (local && local.fields === loaded) return;
    if (!local) return store("readonly", function (s) { return s.get(key + "-conflict"); }).then(showConflict);
    if (local.base !== loaded) { showConflict(local); return; }
    // The server still has what the edits started from: the browser's copy is the newer.
    var note = document.getElementById("restored");
    fill(local.fields);
    lastKept = local.fields;
    note.querySelector("span").textContent = "已从本机恢复 " + clock(local.at) + " 填写的草稿（尚未保存到服务器）。";
    note.hidden = false;
    saveToServer(false);
  });
  // Someone saved the record since: the server's version stands, the browser's is kept beside it.
  function showConflict(local) {
    if (!local) return;
    var note = document.getElementById("restored");
    store("readwrite", function (s) { s.delete(key); return s.put(Object.assign({}, local, { key: key + "-conflict" })); });
    note.querySelector("span").textContent = "服务器上的草稿已被修改，本页显示服务器版本；本机 " + clock(local.at) +
      " 填写的草稿另存如下，未采用。";
    var other = document.getElementById("local-draft");
    other.textContent = JSON.parse(local.fields).filter(function (p) { return p[1]; })
      .map(function (p) {
        var el = form.elements[p[0]], label = el && el.labels && el.labels[0] ? el.labels[0].textContent : p[0];
        return label + "：" + p[1];
      }).join("\n");
    other.hidden = false;
    note.classList.add("alert-warning");
    note.hidden = false;
    var adopt = document.getElementById("adopt-local");
    adopt.hidden = false;
    adopt.addEventListener("click", function () {
      fill(local.fields); adopt.hidden = true;
      store("readwrite", function (s) { return s.delete(key + "-conflict"); });
      saveToServer(false);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    saveToServer(true);
  });
  form.addEventListener("change", function () { keepLocal(); saveToServer(false); });
  window.addEventListener("online", function () { saveToServer(false); });
  window.setInterval(keepLocal, LOCAL_MS);
  window.setInterval(function () { saveToServer(false); }, SERVER_MS);
  window.addEventListener("pagehide", keepLocal);
  // Signatures captured offline go to the server after the draft they were given on (signqueue.js).
  window.LawTrailAutosave = { save: function () { return saveToServer(false); }, fields: serialise };
})();
