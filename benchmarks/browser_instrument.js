// Injected into every page by benchmarks/browser_bench.py before the page's own scripts.
// Counts Dash's callback requests in flight and their bytes, stamps the change (the last
// click or key press before the first request it caused), and records the last change the
// page made to itself (plotly drawing, Dash updating: a paint follows each), and the last one
// on screen (in the window as it is when the change lands: what the user is looking at).
(() => {
  const QUIET_MS = 150; // no request and no change to the page for this long: it has settled
  const now = () => performance.now();
  const state = {
    inflight: 0, last: now(), painted: now(), seen: now(), bytes: 0, requests: 0, start: 0,
  };
  window.__lf = state;
  const onScreen = (node) => {
    const el = node && (node.nodeType === 1 ? node : node.parentElement);
    if (!el || !el.isConnected) { return false; }
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) { return false; } // hidden
    return r.bottom >= 0 && r.top <= window.innerHeight && r.right >= 0 &&
      r.left <= window.innerWidth;
  };
  for (const kind of ["click", "keydown"]) {
    document.addEventListener(kind, () => {
      if (state.requests === 0) { state.start = now(); }
    }, true);
  }
  // Dash's loading marks draw nothing here (no style uses them): the attribute it sets on the
  // outputs of a running callback, and the empty element it adds to the page meanwhile.
  const unseen = (m) => m.attributeName === "data-dash-is-loading" ||
    [...m.addedNodes, ...m.removedNodes].some((n) => n.className === "_dash-loading-callback");
  new MutationObserver((records) => {
    state.painted = now();
    // A record is on screen if what it added is, or (for removals and attributes) its target.
    if (records.some((m) => !unseen(m) &&
      (m.addedNodes.length ? Array.from(m.addedNodes) : [m.target]).some(onScreen))) {
      state.seen = state.painted;
    }
  }).observe(document, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
  const fetch = window.fetch;
  window.fetch = function (url) {
    const dash = String(url).includes("_dash-update-component");
    if (!dash) { return fetch.apply(this, arguments); }
    state.inflight += 1;
    state.requests += 1;
    const done = () => { state.inflight -= 1; state.last = now(); };
    return fetch.apply(this, arguments).then(async (resp) => {
      state.bytes += (await resp.clone().arrayBuffer()).byteLength;
      setTimeout(done, 0); // after Dash has handled the response
      return resp;
    }, (err) => { done(); throw err; });
  };
  // Resolves once settled: ms from `from` (null: the stamped change) to the last change, and
  // to the last change on screen.
  window.__lfSettled = (from) => new Promise((resolve) => {
    const check = () => {
      const end = Math.max(state.last, state.painted);
      if (state.inflight === 0 && state.requests > 0 && now() - end > QUIET_MS) {
        const start = from === null ? state.start : from;
        resolve({
          ms: end - start, seen_ms: state.seen - start, bytes: state.bytes,
          requests: state.requests,
        });
      } else { setTimeout(check, 10); }
    };
    check();
  });
})();
