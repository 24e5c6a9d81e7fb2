// A callback the server refused (429: too many computations a minute; 401/403: logged out; 413:
// too large; 5xx) is otherwise invisible: Dash leaves the old view without a word. Show what the
// server said, in a banner at the top, until the next answer that succeeds.
(function () {
  "use strict";
  var ID = "server-answer";
  var MAX_CHARS = 400;

  function banner() {
    var el = document.getElementById(ID);
    if (!el) {
      el = document.createElement("div");
      el.id = ID;
      el.className = "server-answer";
      el.setAttribute("role", "alert");
      document.body.appendChild(el);
    }
    return el;
  }

  function show(resp, text) {
    var plain = (resp.headers.get("content-type") || "").indexOf("text/plain") === 0;
    var said = plain && text ? text.trim().slice(0, MAX_CHARS) : "";
    var el = banner();
    el.textContent = "The server did not compute this view (HTTP " + resp.status + ")" +
      (said ? ": " + said : ".") + " What is on screen is the last view it drew.";
    el.hidden = false;
  }

  function clear() {
    var el = document.getElementById(ID);
    if (el) { el.hidden = true; el.textContent = ""; }
  }

  // Only the latest request's answer decides (a refusal read after a later success must not
  // bring the banner back).
  var sent = 0, latest = 0;
  var fetch0 = window.fetch;
  window.fetch = function (url) {
    var answer = fetch0.apply(this, arguments);
    if (String(url).indexOf("_dash-update-component") < 0) { return answer; }
    var n = ++sent;
    return answer.then(function (resp) {
      if (n < latest) { return resp; }
      latest = n;
      if (resp.ok) {
        clear();
      } else {
        resp.clone().text().then(function (t) {
          if (n === latest) { show(resp, t); }
        }, function () { if (n === latest) { show(resp, ""); } });
      }
      return resp;
    });
  };
})();
