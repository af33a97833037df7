// tongxin's little progressive JavaScript: every page works without it.
(function () {
  "use strict";
  // <button data-confirm="确定取消活动？"> asks first.
  document.addEventListener("click", function (e) {
    var el = e.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });
  // <div data-poll="/console/login/wait" data-poll-ms="1500">: asks the URL
  // until it answers {"done":true,"next":"/console"}, then goes there.
  document.querySelectorAll("[data-poll]").forEach(function (el) {
    var url = el.getAttribute("data-poll");
    var ms = parseInt(el.getAttribute("data-poll-ms") || "1500", 10);
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (v) {
          if (v && v.next) { window.location.assign(v.next); return; }
          if (v && v.expired) { el.textContent = el.getAttribute("data-expired") || "已过期，请刷新"; return; }
          setTimeout(tick, ms);
        })
        .catch(function () { setTimeout(tick, ms * 2); });
    }
    setTimeout(tick, ms);
  });
})();
