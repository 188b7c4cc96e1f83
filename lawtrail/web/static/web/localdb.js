// The browser's own store (IndexedDB "lawtrail"): record drafts (autosave.js), media captured
// on site waiting for upload (capture.js), the pieces of a recording as it is being made
// (capture.js: "takes", so a page that goes away mid-recording loses nothing) and signatures
// captured offline (signqueue.js). One schema, opened in one place.
window.LawTrailLocal = (function () {
  "use strict";
  var db = new Promise(function (resolve) {
    if (!window.indexedDB) { resolve(null); return; }
    var open = indexedDB.open("lawtrail", 3);
    open.onupgradeneeded = function () {
      var names = open.result.objectStoreNames;
      if (!names.contains("drafts")) open.result.createObjectStore("drafts", { keyPath: "key" });
      if (!names.contains("uploads")) open.result.createObjectStore("uploads", { keyPath: "id" });
      if (!names.contains("signatures")) open.result.createObjectStore("signatures", { keyPath: "id" });
      if (!names.contains("takes")) open.result.createObjectStore("takes", { keyPath: ["take", "seq"] });
    };
    // A newer page asking for a newer schema waits until every older connection closes.
    open.onsuccess = function () {
      open.result.onversionchange = function () { open.result.close(); };
      resolve(open.result);
    };
    open.onerror = function () { resolve(null); };
  });
  // work(objectStore) -> request; resolves with the request's result once the transaction
  // completes, or null (no IndexedDB, or the transaction failed).
  function store(name, mode, work) {
    return db.then(function (d) {
      if (!d) return null;
      return new Promise(function (resolve) {
        var tx;
        try { tx = d.transaction(name, mode); } catch (e) { resolve(null); return; }  // closed for a newer schema
        var request = work(tx.objectStore(name));
        tx.oncomplete = function () { resolve(request && request.result); };
        tx.onerror = tx.onabort = function () { resolve(null); };  // abort: e.g. the phone's storage is full
      });
    });
  }
  return { store: store };
})();
