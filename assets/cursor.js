// linflow: a shared time cursor. While the trajectory animation plays (or its slider is dragged),
// move a vertical line (the shape named "time-cursor") on the L(t) and invariant-drift plots.
// Everything happens in the browser: no server round trip per frame.
(function () {
  "use strict";
  var SOURCE = "trajectory-graph";
  var TARGETS = ["loss-graph", "drift-graph"];

  function plotDiv(id) {
    return document.querySelector("#" + id + " .js-plotly-plot");
  }

  function moveCursor(t) {
    if (!window.Plotly || !isFinite(t)) { return; }
    TARGETS.forEach(function (id) {
      var gd = plotDiv(id);
      if (!gd || !gd.layout || !gd.layout.shapes) { return; }
      var shapes = gd.layout.shapes;
      for (var i = 0; i < shapes.length; i++) {
        if (shapes[i].name === "time-cursor") {
          var update = {};
          var x = Math.max(t, 1e-300);
          update["shapes[" + i + "].x0"] = x;
          update["shapes[" + i + "].x1"] = x;
          update["shapes[" + i + "].visible"] = true;
          window.Plotly.relayout(gd, update);
          gd.setAttribute("data-cursor-t", String(t));
          return;
        }
      }
    });
  }

  function bind() {
    var gd = plotDiv(SOURCE);
    if (!gd || gd.__linflowCursor || typeof gd.on !== "function") { return; }
    gd.__linflowCursor = true;
    gd.on("plotly_animatingframe", function (ev) {
      if (ev && ev.name !== undefined) { moveCursor(parseFloat(ev.name)); }
    });
    gd.on("plotly_sliderchange", function (ev) {
      if (ev && ev.step && ev.step.args) { moveCursor(parseFloat(ev.step.args[0][0])); }
    });
  }

  // Dash renders graphs (and may replace them) after load: bind whenever one appears.
  setInterval(bind, 400);
})();
