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
})();
