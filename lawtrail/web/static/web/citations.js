// Citations of regulation articles ("004 第三十条"): hovering one, focusing it or tapping it
// shows the article's own words; the link itself leads to the whole text at that article.
(function () {
  "use strict";
  var cache = {};
  var pop = null;
  var current = null;

  function articles(profile) {
    if (!cache[profile]) {
      cache[profile] = fetch("/regulations/" + profile + "/articles.json", {credentials: "same-origin"})
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
    }
    return cache[profile];
  }

  function close() {
    if (pop) { pop.remove(); pop = null; }
    if (current) { current.setAttribute("aria-expanded", "false"); current = null; }
  }

  function place(link) {
    var r = link.getBoundingClientRect();
    var width = Math.min(420, document.documentElement.clientWidth - 16);
    pop.style.width = width + "px";
    var left = Math.max(8, Math.min(r.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
    pop.style.left = left + "px";
    pop.style.top = (r.bottom + window.scrollY + 6) + "px";
  }

  function show(link) {
    if (current === link) return;
    close();
    current = link;
    link.setAttribute("aria-expanded", "true");
    pop = document.createElement("div");
    pop.className = "cite-pop";
    pop.setAttribute("role", "tooltip");
    pop.id = "cite-pop";
    link.setAttribute("aria-describedby", "cite-pop");
    pop.textContent = "正在载入条文……";
    document.body.appendChild(pop);
    place(link);
    var shown = pop;
    articles(link.dataset.profile).then(function (data) {
      if (pop !== shown) return;
      pop.textContent = "";
      var head = document.createElement("div");
      head.className = "cite-pop-head";
      head.textContent = "《" + data.title + "》";
      pop.appendChild(head);
      var item = link.dataset.item;
      link.dataset.articles.split(",").forEach(function (n) {
        var article = data.articles[n];
        var text = article ? (item && article.items[item] ? article.label + " …… " + article.items[item] : article.text)
                           : "第" + n + "条（原文中未找到）";
        text.split("\n").forEach(function (line) {
          var p = document.createElement("p");
          p.textContent = line;
          pop.appendChild(p);
        });
      });
      var more = document.createElement("a");
      more.href = link.href;
      more.className = "cite-pop-more";
      more.textContent = "查看规定全文 ›";
      pop.appendChild(more);
      place(link);
    }).catch(function () {
      if (pop === shown) pop.textContent = "条文暂时无法载入，请点击链接查看规定全文。";
    });
  }

  var touched = false;
  var pressedAt = 0;  // focus that follows a press is the press's, not the keyboard's
  document.addEventListener("pointerdown", function (e) {
    touched = e.pointerType === "touch";
    pressedAt = Date.now();
  }, true);
  document.addEventListener("mouseover", function (e) {
    var link = e.target.closest && e.target.closest("a.cite");
    if (link && !touched) show(link);
  });
  document.addEventListener("mouseout", function (e) {
    var link = e.target.closest && e.target.closest("a.cite");
    if (!link || touched) return;
    var to = e.relatedTarget;
    if (to && pop && (pop.contains(to) || link.contains(to))) return;
    setTimeout(function () { if (current === link && !(pop && pop.matches(":hover"))) close(); }, 250);
  });
  document.addEventListener("focusin", function (e) {
    if (e.target.matches && e.target.matches("a.cite") && Date.now() - pressedAt > 500) show(e.target);
  });
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.cite");
    if (link && touched && current !== link) {  // the first tap shows the words, a second one follows the link
      e.preventDefault();
      show(link);
      return;
    }
    if (pop && !pop.contains(e.target) && !link) close();
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") close(); });
})();
