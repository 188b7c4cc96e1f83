// Every page: the phone menu drawer and the 离线 state.
(function () {
  var button = document.querySelector(".menu-toggle");
  function setOpen(open) {
    document.body.classList.toggle("menu-open", open);
    if (button) button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  if (button) button.addEventListener("click", function (e) {
    e.stopPropagation();
    setOpen(!document.body.classList.contains("menu-open"));
  });
  // A tap outside the open drawer closes it.
  document.addEventListener("click", function (e) {
    if (document.body.classList.contains("menu-open") && !e.target.closest("#menu")) setOpen(false);
  });
  function net() { document.body.classList.toggle("offline", !navigator.onLine); }
  window.addEventListener("online", net);
  window.addEventListener("offline", net);
  net();

  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });

  // The installable app: the service worker keeps the app shell and the pages opened online.
  if ("serviceWorker" in navigator && document.body.dataset.signedIn) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" });
  }
  document.querySelectorAll("form[action$='/logout/']").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage("forget");
    });
  });
  keptPages();
})();

// 离线可用: a case page and its records kept in the service worker's cache ("pages") for work
// on site. They go at sign-out and when the session ends (the sign-in page, online, or the
// session's end passing, offline): a confidential case does not stay on a phone.
function keptPages() {
  if (!window.caches) return;
  var body = document.body, META = "/__kept__";
  // Signed out (a public page such as 扫码验真 opened while signed in is not that).
  if (!body.dataset.signedIn) { if (!body.dataset.public) caches.delete("pages"); return; }
  function meta() {
    return caches.match(META, { cacheName: "pages" }).then(function (hit) { return hit ? hit.json() : null; });
  }
  function save(cache, data) {
    return cache.put(META, new Response(JSON.stringify(data), { headers: { "Content-Type": "application/json" } }));
  }
  var expires = Number(body.dataset.sessionExpires) || 0;
  function check() {
    return meta().then(function (data) {
      if (data && data.expires < Date.now()) return caches.delete("pages");
      // A page from the network knows the session's end as renewed by its request.
      if (data && navigator.onLine && expires > data.expires) {
        data.expires = expires;
        return caches.open("pages").then(function (cache) { return save(cache, data); });
      }
    });
  }
  check();
  window.setInterval(check, 15000);

  var button = document.querySelector("[data-keep-offline]");
  if (!button) return;
  var status = document.getElementById("keep-status"), urls = button.dataset.urls.trim().split(/\s+/);
  function two(n) { return (n < 10 ? "0" : "") + n; }
  meta().then(function (data) {
    var at = data && data.cases && data.cases[urls[0]] && data.at && data.at[urls[0]];
    if (at) { status.textContent = "已可离线使用（保存于 " + at + "）"; button.textContent = "更新离线副本"; }
  });
  button.addEventListener("click", function () {
    if (!navigator.onLine) { status.textContent = "离线时不能保存，请联网后再试"; return; }
    button.disabled = true;
    status.textContent = "正在保存到本机…";
    caches.open("pages").then(function (cache) {
      // One after another: each opening is logged, and a small server answers them in turn.
      return urls.reduce(function (chain, url) {
        return chain.then(function () { return fetch(url, { credentials: "same-origin" }); }).then(function (response) {
          if (!response.ok || response.redirected) throw new Error(String(response.status));
          return cache.put(url, response);
        });
      }, Promise.resolve()).then(function () { return meta(); }).then(function (data) {
        var now = new Date(), at = two(now.getMonth() + 1) + "-" + two(now.getDate()) + " " + two(now.getHours()) + ":" + two(now.getMinutes());
        data = data || { cases: {}, at: {} };
        data.expires = Math.max(data.expires || 0, expires);
        data.cases[urls[0]] = button.dataset.title;
        data.at[urls[0]] = at;
        return save(cache, data).then(function () {
          status.textContent = "已可离线使用（" + urls.length + " 页，保存于 " + at + "）。退出登录或登录过期后自动从本机清除。";
          button.textContent = "更新离线副本";
        });
      });
    }).catch(function () { status.textContent = "保存失败，请稍后重试"; }).then(function () { button.disabled = false; });
  });
}
