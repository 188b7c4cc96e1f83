// The browser's own store (IndexedDB "lawtrail"): record drafts (autosave.js), media captured
// on site waiting for upload (capture.js) and signatures captured offline (signqueue.js).
// One schema, opened in one place.
window.LawTrailLocal = (function () {
  "use strict";
  var db = new Promise(function (resolve) {
    if (!window.indexedDB) { resolve(null); return; }
    var open = indexedDB.open("lawtrail", 2);
    open.onupgradeneeded = function () {
      var names = open.result.objectStoreNames;
      if (!names.contains("drafts")) open.result.createObjectStore("drafts", { keyPath: "key" });
      if (!names.contains("uploads")) open.result.createObjectStore("uploads", { keyPath: "id" });
      if (!names.contains("signatures")) open.result.createObjectStore("signatures", { keyPath: "id" });
    };
    open.onsuccess = function () { resolve(open.result); };
    open.onerror = function () { resolve(null); };
  });
  // work(objectStore) -> request; resolves with the request's result once the transaction
  // completes, or null (no IndexedDB, or the transaction failed).
  function store(name, mode, work) {
    return db.then(function (d) {
      if (!d) return null;
      return new Promise(function (resolve) {
        var tx = d.transaction(name, mode), request = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(request && request.result); };
        tx.onerror = function () { resolve(null); };
      });
    });
  }
  return { store: store };
})();
