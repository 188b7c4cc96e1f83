// LawTrail's service worker: the app shell from the cache, pages from the network and, when
// there is none (on site), the copy kept when the officer last opened them.
const SHELL = "shell-{{ version }}";
const PAGES = "pages";
const PRECACHE = {{ precache|safe }};
// The pages an officer works on at the site: home, a case, its records.
const KEPT = /^\/$|^\/cases\/\d+\/(records\/\d+\/)?$/;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("shell-") && n !== SHELL).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// Signing out forgets the kept pages: the next user of the phone does not see them.
self.addEventListener("message", (event) => {
  if (event.data === "forget") event.waitUntil(caches.delete(PAGES));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode !== "navigate" || !KEPT.test(url.pathname)) return;
  event.respondWith(fetch(request).then((response) => {
    if (response.ok && !response.redirected) {
      const copy = response.clone();
      caches.open(PAGES).then((cache) => cache.put(url.pathname, copy));
    }
    return response;
  }).catch(() => caches.match(url.pathname, { cacheName: PAGES }).then((hit) => hit || new Response(
    "<!DOCTYPE html><meta charset=utf-8><meta name=viewport content='width=device-width'><title>离线</title>" +
    "<p style='font:16px sans-serif;padding:20px'>离线：本页未在联网时打开过，没有保存在本机。请联网后再试。</p>",
    { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } }))));
});
