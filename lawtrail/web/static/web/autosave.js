// Nothing typed is lost. A record form is kept in the browser (IndexedDB) every few seconds
// and saved to the server as the ordinary 保存草稿 (the same POST, with its CSRF token) every
// 30 seconds and when a field is left. A session that expired while the form was open asks
// for the password here, then saves; offline, the draft waits and is sent when back online.
// Every save names the version of the draft the page was loaded from (base_revision): if a
// colleague saved the draft meanwhile the server refuses it (409), its version stands, and this
// page's text is kept in the browser as a second draft and shown beside the server's.
(function () {
  var form = document.querySelector("form.record-form[data-autosave]");
  if (!form) return;
  var LOCAL_MS = 3000, SERVER_MS = 30000;
  var key = "record-" + form.dataset.record;
  var status = form.querySelector(".autosave-status");
  var OWN = ["csrfmiddlewaretoken", "base_revision"];  // the form's own fields, not the draft's
  var revision = form.querySelector("input[name=base_revision]");  // the server's version it started from
  // As the server sent it: a browser that restores form fields on reload or 后退 could put back
  // the version of an earlier page, and the next save would be refused as made from it.
  revision.value = form.dataset.revision;
  var loaded = serialise();          // the server's version, as this page shows it
  var lastSent = loaded, lastKept = loaded, keptAt = null, sending = null, waitingForLogin = false;
  var conflicted = false;            // a save was refused: the page is about to show the server's version

  function serialise() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (OWN.indexOf(name) < 0 && typeof value === "string") pairs.push([name, value]);
    });
    return JSON.stringify(pairs);
  }
  function fill(serialised) {
    var pairs = JSON.parse(serialised), byName = {};
    pairs.forEach(function (p) { (byName[p[0]] = byName[p[0]] || []).push(p[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || OWN.indexOf(el.name) >= 0 || el.type === "submit") return;
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
    if (conflicted || now === lastKept) return Promise.resolve();
    lastKept = now;
    keptAt = Date.now();
    // `base` is the server's version the edits started from, to tell later edits from a conflict.
    return store("readwrite", function (s) {
      return s.put({ key: key, url: location.pathname, fields: now, base: loaded, revision: revision.value,
                     at: keptAt, synced: now === lastSent });
    });
  }

  // --- the server's copy: the form's own POST --------------------------------------------
  function csrf() { return form.querySelector("input[name=csrfmiddlewaretoken]").value; }
  function saveToServer(byButton) {
    if (conflicted) return Promise.resolve(false);
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
        if (response.status === 409 && answer.conflict) { keepAside(now); return false; }
        if (!response.ok) { say("未能保存到服务器：" + (answer.error || response.status) + "（内容已保存在本机）"); return false; }
        if (answer.revision) revision.value = answer.revision;  // the next save continues this one
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
  // A colleague saved the draft since this page was loaded: nothing was written over his. This
  // page's text becomes the browser's second draft, and the page is shown again with his.
  function keepAside(fields) {
    conflicted = true;
    var row = { key: key + "-conflict", url: location.pathname, fields: fields, base: loaded, revision: revision.value,
                at: (fields === lastKept && keptAt) || Date.now() };
    say("服务器上的草稿已被修改，以服务器版本为准，本页内容已另存在本机");
    return store("readwrite", function (s) { s.delete(key); return s.put(row); }).then(function (stored) {
      if (stored) { window.location.reload(); return; }
      showConflict(row, false);  // no browser store: the text stays on this page, shown beside
      say("服务器上的草稿已被修改：请先复制下方本机内容，再刷新页面查看服务器版本");
    });
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
  var note = document.getElementById("restored"), other = document.getElementById("local-draft");
  var adopt = document.getElementById("adopt-local"), drop = document.getElementById("drop-local");
  var copy = document.getElementById("copy-local");
  var aside = null;  // the browser's draft kept beside the server's after a conflict
  Promise.all([
    store("readonly", function (s) { return s.get(key); }),
    store("readonly", function (s) { return s.get(key + "-conflict"); })
  ]).then(function (found) {
    var local = found[0];
    if (local && local.fields !== loaded && local.base !== loaded) { showConflict(local, true); return; }
    if (found[1]) showConflict(found[1], false);
    if (!local || local.fields === loaded) return;
    // The server still has what the edits started from: the browser's copy is the newer.
    fill(local.fields);
    lastKept = local.fields;
    var restored = "已从本机恢复 " + clock(local.at) + " 填写的草稿（尚未保存到服务器）。";
    var span = note.querySelector("span");
    span.textContent = aside ? restored + span.textContent : restored;
    note.hidden = false;
    saveToServer(false);
  });
  // Someone saved the record since: the server's version stands, the browser's is kept beside it.
  function showConflict(local, move) {
    aside = local;
    if (move) {
      store("readwrite", function (s) { s.delete(key); return s.put(Object.assign({}, local, { key: key + "-conflict" })); });
    }
    // The fields where the browser's draft differs from the server's, as "label：value" lines.
    var lines = changedFields(local.fields, loaded);
    var span = note.querySelector("span"), title = document.createElement("strong");
    title.textContent = "服务器上的草稿已被修改，与本机 " + clock(local.at) + " 保存的草稿不一致。";
    span.textContent = "以服务器版本为准：下方表单显示的是服务器上的版本。本机草稿未上传，" +
      (lines.length ? "其中与服务器版本不同的栏目另存如下" : "内容另存如下") + "，可复制需要的内容：";
    span.insertBefore(title, span.firstChild);
    other.textContent = (lines.length ? lines : changedFields(local.fields, "[]")).join("\n");
    other.hidden = false;
    note.classList.remove("alert-info");
    note.classList.add("alert-warning");
    note.hidden = false;
    copy.hidden = adopt.hidden = drop.hidden = false;
  }
  function changedFields(fields, against) {
    function byName(serialised) {
      var values = {}, order = [];
      JSON.parse(serialised).forEach(function (p) {
        if (!(p[0] in values)) { values[p[0]] = []; order.push(p[0]); }
        if (p[1]) values[p[0]].push(p[1]);
      });
      return { values: values, order: order };
    }
    var mine = byName(fields), theirs = byName(against).values;
    return mine.order.filter(function (name) {
      return mine.values[name].length && mine.values[name].join("\n") !== (theirs[name] || []).join("\n");
    }).map(function (name) {
      var el = form.elements[name];
      if (el && !el.labels && el.length) el = el[0];  // checkboxes, radios: one name, many inputs
      var label = el && el.labels && el.labels[0] ? el.labels[0].textContent.trim() : name;
      return label + "：" + mine.values[name].map(function (v) { return shown(name, v); }).join("、");
    });
  }
  // A value as the form shows it: a ticked box is 是, a choice its label, not its code.
  function shown(name, value) {
    var found = form.elements[name];
    var inputs = found && !found.tagName ? Array.prototype.slice.call(found) : [found];
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (!input) continue;
      if (input.tagName === "SELECT") {
        for (var j = 0; j < input.options.length; j++)
          if (input.options[j].value === value) return input.options[j].textContent.trim();
      } else if ((input.type === "checkbox" || input.type === "radio") && input.value === value) {
        if (input.type === "checkbox" && inputs.length === 1) return "是";  // one box: the label asks
        return input.labels && input.labels[0] ? input.labels[0].textContent.trim() : value;
      }
    }
    return value;
  }
  function forget() {
    aside = null;
    adopt.hidden = drop.hidden = true;
    return store("readwrite", function (s) { return s.delete(key + "-conflict"); });
  }
  // Chosen on purpose: the browser's draft replaces the server's (the ledger keeps both).
  adopt.addEventListener("click", function () {
    if (!aside) return;
    fill(aside.fields);
    forget();
    note.hidden = true;
    saveToServer(false);
  });
  drop.addEventListener("click", function () {
    if (!window.confirm("删除后本机草稿无法恢复，确定删除？")) return;
    forget().then(function () { note.hidden = true; });
  });
  copy.addEventListener("click", function () {
    var text = other.textContent;
    var copied = navigator.clipboard && window.isSecureContext ? navigator.clipboard.writeText(text) : Promise.reject();
    copied.then(function () { copy.textContent = "已复制，可粘贴到表单中"; }, function () {
      var range = document.createRange(), selection = window.getSelection();
      range.selectNodeContents(other);
      selection.removeAllRanges();
      selection.addRange(range);
      copy.textContent = "已选中，请长按或按 Ctrl+C 复制";
    });
  });

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
