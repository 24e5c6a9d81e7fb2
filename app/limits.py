"""Every limit the app enforces, defined once. Checked on the server (callbacks can be called
over HTTP by anyone); the README's hosting section quotes them from here."""

from __future__ import annotations

# --- the explorer: one request stays within about a second ------------------------------------
MAX_DY = 6  # 2^6 = 64 rungs on the ladder.
MAX_DX = 24
MAX_M = 2000
MAX_DEPTH = 5
MAX_WIDTH = 64
MAX_PARAMS = 6100
# The Hessian panel diagonalises the dense Hessian up to this size (~0.1 s at 1,000 parameters
# on a quiet core); beyond it, Lanczos extremes on Hessian-vector products (milliseconds), and
# the panel says so.
DENSE_SPLIT_PARAMS = 1000
MAX_T = 1e5
MAX_GD_STEPS = 200_000  # t_max / (time per step) for the discrete runs.
# Work of a discrete run, steps x parameters: one step costs ~3 products per layer, so 2e7 is
# about 5 s on these machines. Estimated before anything is allocated.
MAX_GD_WORK = 20_000_000
MAX_SEED = 2**32 - 1  # seeds spawned by sweeps are 32-bit
INTERACTIVE_SECONDS = 20.0  # A run stops past this (gunicorn's worker timeout is 60 s).

# --- uploads ----------------------------------------------------------------------------------
MAX_UPLOAD_BYTES = 1_400_000  # per upload (fits the request cap after base64)
MAX_REQUEST_BYTES = 2_000_000  # default cap on a request body (LINFLOW_MAX_REQUEST_BYTES)

# --- the basin lab ----------------------------------------------------------------------------
MAX_RUNS = 5000  # runs per scale from the app (the command line has no cap)
MAX_SCALES = 6
SWEEP_SCALE_RANGE = (1e-6, 10.0)
MAX_ESCAPE_RUNS = 200
MAX_ESCAPE_SIZES = 6
MAX_ESCAPE_WORK = 600  # runs x sizes in one (interactive) escape experiment
ESCAPE_T_MAX = 500.0  # escapes are read within this horizon, whatever the explorer's t_max

# --- export from the app ----------------------------------------------------------------------
# The app stops starting new figures after this many seconds; with the per-figure timeout a
# request stays inside gunicorn's 60 s worker timeout. `linflow export` has no deadline.
EXPORT_DEADLINE = 25.0
DPI_RANGE = (50, 1200)
