// Builds ../../assets/plotly-linflow.min.js: plotly.js's core with only the trace types in
// traces.json (the ones linflow's figures use; tests/app/test_plotly_bundle.py checks both that
// list and the version against the plotly.js that the Python plotly package ships). The full
// bundle is 4.8 MB and took ~1 s to evaluate in a new Chromium profile, most of a first page
// load; this one is ~2 MB. Bundled as plotly.js's own esbuild configuration does.
"use strict";
const fs = require("fs");
const path = require("path");
const esbuild = require("esbuild");
const { environmentPlugin } = require("esbuild-plugin-environment");
const { glsl } = require("esbuild-plugin-glsl");
const InlineCSSPlugin = require("esbuild-plugin-inline-css");

const traces = JSON.parse(fs.readFileSync(path.join(__dirname, "traces.json"), "utf8"));
const version = require("plotly.js/package.json").version;
const entry = [
  "var Plotly = require('plotly.js/lib/core');",
  "Plotly.register([",
  ...traces.filter((t) => t !== "scatter").map((t) => `  require('plotly.js/lib/${t}'),`),
  "]);",
  "module.exports = Plotly;",
].join("\n");

esbuild
  .build({
    stdin: { contents: entry, resolveDir: __dirname, sourcefile: "entry.js" },
    outfile: path.join(__dirname, "..", "..", "assets", "plotly-linflow.min.js"),
    format: "iife",
    globalName: "Plotly",
    bundle: true,
    minify: true,
    legalComments: "none",
    banner: { js: `/* plotly.js v${version} (traces: ${traces.join(", ")}) | MIT License | Copyright 2012-2026, Plotly, Inc. */` },
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: "@plotly/regl", stream: "stream-browserify" },
    define: { global: "window", "define.amd": "false" },
    target: "es2016",
    logLevel: "warning",
  })
  .then(() => console.log(`assets/plotly-linflow.min.js: plotly.js ${version}, ${traces.join(", ")}`))
  .catch(() => process.exit(1));
