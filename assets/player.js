// linflow's trajectory player and shared time cursor.
// The trajectory figure lists its frames in layout.meta: times, marker positions and the index of
// the marker trace. This script plays them with its own timer (so the speed buttons set the real
// speed), moves the one marker trace with Plotly.restyle (no plotly frames: building them cost the
// server ~100 ms a redraw), and draws the current time as a thin overlay line on the time-axis
// graphs (no Plotly.relayout per frame: that is what made playback slow).
(function () {
  "use strict";
  var SOURCE = "trajectory-graph";
  var TARGETS = ["loss-graph", "drift-graph", "curvature-graph", "outputs-graph"];
  var SPEEDS = { slow: 220, normal: 90, fast: 30 }; // ms per frame
  var state = { timer: null, index: 0, speed: "normal", meta: null };

  function plot(id) {
    return document.querySelector("#" + id + " .js-plotly-plot");
  }
  function el(id) {
    return document.getElementById(id);
  }
  function fmt(t) {
    return t === 0 ? "0" : Math.abs(t) >= 1e4 || Math.abs(t) < 1e-3 ? t.toExponential(2) : t.toPrecision(4);
  }

  function moveCursor(t) {
    TARGETS.forEach(function (id) {
      var gd = plot(id);
      if (!gd || !gd._fullLayout || !gd._fullLayout.xaxis) { return; }
      var fl = gd._fullLayout, ax = fl.xaxis;
      var line = gd.querySelector(".time-cursor-line");
      if (!line) {
        line = document.createElement("div");
        line.className = "time-cursor-line";
        gd.appendChild(line);
      }
      var lin = ax.d2l(Math.max(t, 1e-300));
      var inside = isFinite(lin) && lin >= Math.min(ax.range[0], ax.range[1]) && lin <= Math.max(ax.range[0], ax.range[1]);
      line.style.display = inside ? "block" : "none";
      line.style.left = (fl._size.l + ax.l2p(lin)) + "px";
      line.style.top = fl._size.t + "px";
      line.style.height = fl._size.h + "px";
      gd.setAttribute("data-cursor-t", String(t));
    });
  }

  function show(i, drawn) {
    // drawn: the figure already shows frame i (a new figure opens on meta.start).
    var gd = plot(SOURCE), meta = state.meta;
    if (!gd || !meta || !window.Plotly || !gd.data || !gd.data[meta.trace]) { return; }
    state.index = Math.max(0, Math.min(i, meta.times.length - 1));
    var p = meta.positions[state.index], t = meta.times[state.index];
    if (!drawn) {
      var update = { x: [[p[0]]], y: [[p[1]]], hovertemplate: ["t = " + fmt(t) + "<extra>now</extra>"] };
      if (p.length > 2) { update.z = [[p[2]]]; }
      var done = window.Plotly.restyle(gd, update, [meta.trace]);
      if (done && done.catch) { done.catch(function () { /* replaced by a new figure meanwhile */ }); }
    }
    var slider = el("traj-time"), label = el("traj-time-label");
    if (slider) { slider.value = String(state.index); }
    if (label) { label.textContent = "t = " + fmt(t); }
    gd.setAttribute("data-frame", String(state.index));
    moveCursor(t);
  }

  function stop() {
    if (state.timer) { clearInterval(state.timer); }
    state.timer = null;
    var button = el("traj-play");
    if (button) { button.textContent = "\u25B6 play"; button.setAttribute("aria-pressed", "false"); }
  }

  function play() {
    if (!state.meta) { return; }
    stop();
    if (state.index >= state.meta.times.length - 1) { state.index = 0; }
    state.timer = setInterval(function () {
      if (!state.meta || state.index >= state.meta.times.length - 1) { stop(); return; }
      show(state.index + 1);
    }, SPEEDS[state.speed]);
    var button = el("traj-play");
    if (button) { button.textContent = "\u275A\u275A pause"; button.setAttribute("aria-pressed", "true"); }
  }

  function sync() {
    // A new trajectory figure (a new run or view): reset the player to its starting frame.
    var gd = plot(SOURCE);
    var meta = gd && gd.layout && gd.layout.meta && gd.layout.meta.times ? gd.layout.meta : null;
    if (meta === state.meta) { return; }
    stop();
    state.meta = meta;
    var slider = el("traj-time");
    if (!meta) { return; }
    if (slider) { slider.max = String(meta.times.length - 1); }
    show(meta.start || 0, true);
  }

  // The camera button downloads the figure under the name it carries (layout.meta.filename),
  // set just before plotly's own handler reads it.
  document.addEventListener("click", function (ev) {
    var button = ev.target instanceof Element && ev.target.closest(".modebar-btn");
    if (!button || (button.getAttribute("data-title") || "").indexOf("Download plot") !== 0) { return; }
    var gd = button.closest(".js-plotly-plot");
    var name = gd && gd.layout && gd.layout.meta && gd.layout.meta.filename;
    if (name && gd._context) {
      gd._context.toImageButtonOptions = Object.assign({}, gd._context.toImageButtonOptions, { filename: name });
    }
  }, true);

  document.addEventListener("click", function (ev) {
    var target = ev.target;
    if (!(target instanceof Element)) { return; }
    if (target.closest("#traj-play")) {
      if (state.timer) { stop(); } else { play(); }
      return;
    }
    var speed = target.closest("[data-speed]");
    if (speed) {
      state.speed = speed.getAttribute("data-speed");
      document.querySelectorAll("[data-speed]").forEach(function (b) {
        b.classList.toggle("active", b === speed);
      });
      if (state.timer) { play(); }
    }
  });
  document.addEventListener("input", function (ev) {
    if (ev.target && ev.target.id === "traj-time") {
      stop();
      show(parseInt(ev.target.value, 10) || 0);
    }
  });
  // Dash draws (and replaces) figures after load: follow each redraw as it happens (a new
  // trajectory resets the player; a redrawn time axis gets the cursor back), hooking graphs as
  // they appear.
  function cursorAgain() {
    if (state.meta) { moveCursor(state.meta.times[state.index]); }
  }
  setInterval(function () {
    [SOURCE].concat(TARGETS).forEach(function (id) {
      var gd = plot(id);
      if (!gd || gd.__linflowHooked || !gd.on) { return; }
      gd.__linflowHooked = true;
      gd.on("plotly_afterplot", id === SOURCE ? function () { sync(); cursorAgain(); } : cursorAgain);
      if (id === SOURCE) { sync(); }
      cursorAgain();
    });
  }, 100);
  window.linflowPlayer = { play: play, stop: stop, show: show, state: state };
})();
