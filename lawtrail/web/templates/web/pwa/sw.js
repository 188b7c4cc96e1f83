// LawTrail's service worker: the app shell from the cache, pages from the network and, when
// there is none (on site), the copy of a case the officer made available offline (离线可用).
// Those copies go when he signs out or his session ends: a confidential case does not stay
// on a phone. The session's end is known offline too (the "/__kept__" entry's `expires`).
const SHELL = "shell-{{ version }}";
const PAGES = "pages";
const META = "/__kept__";
const PRECACHE = {{ precache|safe }};
// The pages an officer works on at the site: a case and its records.
const KEPT = /^\/$|^\/cases\/\d+\/(records\/\d+\/)?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("shell-") && n !== SHELL).map((n) => caches.delete(n))))
    .then(() => kept()).then((meta) => meta || caches.delete(PAGES))  // kept before 离线可用: no session's end
    .then(() => self.clients.claim()));
});

// Signing out forgets the kept pages: the next user of the phone does not see them.
self.addEventListener("message", (event) => {
  if (event.data === "forget") event.waitUntil(caches.delete(PAGES));
});

function kept() {
  return caches.match(META, { cacheName: PAGES }).then((hit) => (hit ? hit.json() : null));
}

// The app's own style (precached with the shell), so the offline page looks like the others.
const STYLE = PRECACHE.find((url) => url.endsWith(".css"));

function page(title, body) {
  return new Response(
    "<!DOCTYPE html><html lang=zh-CN><meta charset=utf-8>" +
    "<meta name=viewport content='width=device-width,initial-scale=1'><title>" + title + " · 执法全过程记录系统</title>" +
    (STYLE ? "<link rel=stylesheet href='" + STYLE + "'>" : "") +
    "<main class=offline-page><h1>" + title + "</h1><div class=card data-testid=offline-page>" + body + "</div></main>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
}

// Offline: the kept copy while the session lasts; after it, nothing (and the copies go).
function offline(path) {
  return kept().then((meta) => {
    if (meta && meta.expires < Date.now()) {
      return caches.delete(PAGES).then(() => page("离线", "<p>登录已过期，离线保存的案件页面已从本机清除。请联网后重新登录。</p>"));
    }
    // Without the entry nothing was kept by 离线可用 (pages cached before it have no end): not shown.
    return (meta ? caches.match(path, { cacheName: PAGES }) : caches.delete(PAGES).then(() => null)).then((hit) => {
      if (hit) return hit;
      const cases = Object.entries((meta && meta.cases) || {});
      const list = cases.length ? "<p>本机保存的离线案件：</p><ul>" + cases.map(([url, title]) =>
        "<li><a href='" + escape(url) + "'>" + escape(title) + "</a></li>").join("") + "</ul>" : "";
      return page("离线", "<p>离线：本页没有保存在本机。请联网后再试；需要在现场离线使用的案件，请先在联网时点击案件页的“离线可用”。</p>" + list);
    });
  });
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode !== "navigate") return;
  if (!KEPT.test(url.pathname)) {
    // Any other page opened offline (案件管理 from the menu): the kept cases, not the browser's error.
    event.respondWith(fetch(request).catch(() => offline(url.pathname)));
    return;
  }
  event.respondWith(fetch(request).then((response) => {
    if (response.redirected && /^\/(login|2fa)\//.test(new URL(response.url).pathname)) {
      caches.delete(PAGES);  // the session has ended
    } else if (response.ok && !response.redirected) {
      // A page kept for offline use is refreshed whenever it is opened online.
      const copy = response.clone();
      caches.match(url.pathname, { cacheName: PAGES }).then((hit) => hit && caches.open(PAGES).then((c) => c.put(url.pathname, copy)));
    }
    return response;
  }).catch(() => offline(url.pathname)));
});
