/* 扫码验真: check a copy of a document against the PDFs the system keeps. The file is hashed
   here, in the browser (crypto.subtle where the browser offers it, sha256.js otherwise);
   nothing is uploaded. A typed SHA-256 is compared as it is. */
(function () {
  "use strict";
  var box = document.getElementById("check");
  if (!box) return;
  var genuine = box.dataset.genuine.trim().split(/\s+/);
  var labels = JSON.parse(document.getElementById("genuine-labels").textContent);
  var verdict = document.getElementById("verdict");
  var fileInput = document.getElementById("pdf");
  var shaInput = document.getElementById("sha");
  var drop = document.getElementById("drop");

  function say(kind, text, detail) {
    verdict.className = "verdict alert " + (kind === "ok" ? "alert-success" : kind === "bad" ? "alert-error" : "alert-info");
    verdict.dataset.result = kind;
    verdict.textContent = text;
    if (detail) {
      var small = document.createElement("small");
      small.textContent = detail;
      verdict.appendChild(document.createElement("br"));
      verdict.appendChild(small);
    }
  }

  function judge(sha, what) {
    var at = genuine.indexOf(sha);
    if (at >= 0) {
      say("ok", "✓ " + what + "与系统留存原件一致（" + labels[at] + "）", "SHA-256 " + sha);
    } else {
      say("bad", "✗ " + what + "与系统留存原件不一致：不是系统留存的文本，可能已被修改",
          "SHA-256 " + sha + "。打印后扫描或另存的文件哈希必然不同，此时请对照上方信息核对纸面内容。");
    }
  }

  function digest(buffer) {
    if (window.crypto && window.crypto.subtle) {
      return window.crypto.subtle.digest("SHA-256", buffer).then(function (d) {
        return Array.prototype.map.call(new Uint8Array(d), function (b) {
          return ("0" + b.toString(16)).slice(-2);
        }).join("");
      });
    }
    return Promise.resolve(window.LawTrailSHA256.hex(new Uint8Array(buffer)));
  }

  function check(file) {
    if (!file) return;
    say("wait", "正在本机计算“" + file.name + "”的 SHA-256……");
    file.arrayBuffer().then(digest).then(function (sha) {
      judge(sha, "文件“" + file.name + "”");
    }).catch(function () {
      say("bad", "无法读取该文件，请重新选择");
    });
  }

  fileInput.addEventListener("change", function () { check(fileInput.files[0]); });
  shaInput.addEventListener("input", function () {
    var sha = shaInput.value.replace(/\s+/g, "").toLowerCase();
    if (!sha) {
      verdict.className = "verdict"; verdict.textContent = ""; delete verdict.dataset.result;
    } else if (!/^[0-9a-f]{64}$/.test(sha)) {
      say("wait", "SHA-256 为 64 位十六进制数字，请检查输入（当前 " + sha.length + " 位）");
    } else {
      judge(sha, "输入的哈希值");
    }
  });
  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    check(e.dataTransfer.files[0]);
  });
})();
