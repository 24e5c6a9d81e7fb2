// Draw a figure when its graph is in view. The server sends every changed panel's figure to a
// store (app.explorer.callbacks); a clientside callback hands it to the graph through draw():
// at once if the graph is on screen, otherwise when it scrolls in, is shown (a hidden panel
// opened) or the page is printed. Plotly's drawing of eight panels, not the server, was most of
// a change's time in the browser; at 1280 x 800 two or three are on screen.
(function () {
  "use strict";
  // A panel can come into view without a scroll or resize (presentation mode, a panel opened):
  // an IntersectionObserver on every owed graph says so at once; a check this often catches
  // what it cannot see (Dash replaced the observed element). Tests set LINFLOW_LAZY_CHECK_MS = 0
  // (no check) to see the observer alone.
  var CHECK_MS = window.LINFLOW_LAZY_CHECK_MS === undefined ? 250 : window.LINFLOW_LAZY_CHECK_MS;
  // Drawn at once wherever it is: the player reads the run's frames from it and moves the time
  // cursor on every time-axis panel by them.
  var ALWAYS = ["trajectory-graph"];
  var owed = {}; // graph id -> the latest figure not drawn yet

  // A graph is drawn once this much of it is in the window: less shows only the blank band above
  // its plot (plotly's top margin). The outputs heat map peeked 12 px into the window once the
  // seed field had scrolled into view, and plotly spent 20-39 ms of each change drawing it.
  var MIN_PX = 40;
  function inView(el) {
    var r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) { return false; } // hidden (display: none)
    return r.bottom >= MIN_PX && r.top <= window.innerHeight - MIN_PX;
  }

  // While a graph is owed its figure it shows nothing (style.css hides [data-owed] plots), never
  // the previous view; the mark goes when plotly has drawn the new one.
  function drawn(el) {
    var gd = el.querySelector(".js-plotly-plot");
    if (gd && gd.once) {
      gd.once("plotly_afterplot", function () { el.removeAttribute("data-owed"); });
    } else {
      el.removeAttribute("data-owed");
    }
  }

  var pending = false;
  function soon() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; flushInView(); });
  }
  var observer = window.IntersectionObserver ? new window.IntersectionObserver(function (seen) {
    if (seen.some(function (e) { return e.isIntersecting; })) { soon(); }
  }, { rootMargin: "-" + MIN_PX + "px 0px" }) : null;

  function flush(id, now) {
    var figure = owed[id];
    delete owed[id];
    var el = document.getElementById(id);
    if (!el) { return; }
    if (observer) { observer.unobserve(el); }
    drawn(el);
    var gd = el.querySelector(".js-plotly-plot");
    if (now && gd && window.Plotly) {
      // Printing: drawn before the page is laid out for print (Dash would draw it later).
      window.Plotly.react(gd, figure.data || [], figure.layout || {}, gd._context);
    }
    window.dash_clientside.set_props(id, { figure: figure });
  }

  function flushInView() {
    // Looked up by id each time: Dash may replace a graph's element (its loading wrapper).
    Object.keys(owed).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el) { delete owed[id]; } // left the page (another page of the app)
      else if (inView(el)) { flush(id, false); }
    });
  }

  function draw(id, figure) {
    if (!figure) { return window.dash_clientside.no_update; }
    var el = document.getElementById(id);
    if (!el || ALWAYS.indexOf(id) >= 0 || inView(el)) {
      delete owed[id];
      if (el && observer) { observer.unobserve(el); }
      if (el && el.hasAttribute("data-owed")) { drawn(el); }
      return figure;
    }
    owed[id] = figure;
    el.setAttribute("data-owed", "1");
    if (observer) { observer.observe(el); }
    return window.dash_clientside.no_update;
  }

  // The one clientside callback of the graphs (app.explorer.callbacks): ``figures[i]`` comes
  // from store ``stores[i]`` of graph ``ids[i]``; only the graphs whose stores changed are
  // drawn (all of them on the first call, when no store is among the triggers).
  function drawTriggered(ids, stores, figures) {
    var ctx = window.dash_clientside.callback_context;
    var changed = (ctx && ctx.triggered || []).map(function (t) {
      return String(t.prop_id).split(".")[0];
    });
    var any = stores.some(function (s) { return changed.indexOf(s) >= 0; });
    return ids.map(function (id, i) {
      return any && changed.indexOf(stores[i]) < 0
        ? window.dash_clientside.no_update : draw(id, figures[i]);
    });
  }

  window.addEventListener("scroll", soon, { passive: true, capture: true });
  window.addEventListener("resize", soon);
  if (CHECK_MS > 0) { setInterval(flushInView, CHECK_MS); }
  // A printed page shows every panel as it is now.
  window.addEventListener("beforeprint", function () {
    Object.keys(owed).forEach(function (id) { flush(id, true); });
  });
  window.linflowLazy = { draw: draw, drawTriggered: drawTriggered, owed: owed };
})();
