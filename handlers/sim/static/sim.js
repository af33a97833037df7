// The simulator's script: sends without reloading and asks for the
// thread every 1.5 s, so that pushes appear as they are delivered. The
// page works without it (the forms post and the page comes back).
(function () {
  "use strict";
  var root = document.getElementById("sim");
  var thread = document.getElementById("thread");
  if (!root || !thread) { return; }
  var openid = root.getAttribute("data-openid");
  var busy = 0;

  function toBottom() {
    thread.scrollTop = thread.scrollHeight;
    window.scrollTo(0, document.documentElement.scrollHeight);
  }
  function swap(rev, html) {
    if (!rev || rev === thread.getAttribute("data-rev")) { return; }
    thread.setAttribute("data-rev", rev);
    thread.innerHTML = html;
    toBottom();
  }
  function bubble(text, cls) {
    var p = document.createElement("p");
    p.className = "sim-msg sim-out sim-pending " + (cls || "");
    p.textContent = text;
    var empty = thread.querySelector(".sim-empty");
    if (empty) { empty.remove(); }
    thread.appendChild(p);
    toBottom();
    return p;
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-sim") || !window.fetch) { return; }
    e.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    var by = e.submitter;
    if (by && by.name) { data.append(by.name, by.value); }
    var text = data.get("text");
    var shown;
    if (text !== null) {
      if (!text.trim()) { return; }
      shown = bubble(text);
      form.querySelector("[name=text]").value = "";
    } else if (by) {
      shown = bubble(by.name === "event" ? "关注了公众号" : "点击菜单「" + by.textContent + "」", "sim-event");
    }
    var open = form.querySelector("details[open]");
    if (open) { open.removeAttribute("open"); }
    busy++;
    fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Sim-Fragment": "1" }
    }).then(function (r) {
      return r.text().then(function (html) {
        if (!r.ok) { throw new Error(html); }
        swap(r.headers.get("X-Sim-Rev"), html);
      });
    }).catch(function (err) {
      if (shown) { shown.className = "sim-msg sim-in sim-error"; shown.textContent = "发送失败：" + err.message; }
    }).finally(function () { busy--; });
  });

  function poll() {
    if (busy) { setTimeout(poll, 1500); return; }
    fetch("/sim/thread?openid=" + encodeURIComponent(openid), { credentials: "same-origin" })
      .then(function (r) {
        return r.text().then(function (html) { if (r.ok && !busy) { swap(r.headers.get("X-Sim-Rev"), html); } });
      })
      .catch(function () {})
      .finally(function () { setTimeout(poll, 1500); });
  }
  toBottom();
  setTimeout(poll, 1500);
  var input = document.getElementById("sim-text");
  if (input && window.matchMedia("(min-width: 700px)").matches) { input.focus(); }
})();
