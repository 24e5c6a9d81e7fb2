"""Every limit the app enforces, defined once. Checked on the server (callbacks can be called
over HTTP by anyone); the README's hosting section quotes them from here."""

from __future__ import annotations

from core.derivatives import HESSIAN_MAX_PARAMS

# --- the explorer: one request stays within about a second ------------------------------------
MAX_DY = 6  # 2^6 = 64 rungs on the ladder.
MAX_DX = 24
MAX_M = 2000
MAX_DEPTH = 5
MAX_WIDTH = 64
MAX_PARAMS = 6100
# The Hessian panel counts every eigenvalue wherever a dense Hessian fits, by the cheaper way
# (measured on one core, the Hessian formed included): up to this size every eigenvalue
# (eigvalsh: 0.11 s at 1,296 parameters, 0.40 s at 1,984); beyond, the 20 extremes at each end
# by Lanczos and the counts by LDL^T inertia (core.inertia: 1.1 s at 2,800 and 2.4 s at 3,744,
# against eigvalsh's 1.5 and 3.8 s); beyond INERTIA_SPLIT_PARAMS (core's HESSIAN_MAX_PARAMS: a
# dense Hessian of 4,000 parameters is 128 MB) the extremes alone (n- a lower bound). The panel
# says which.
DENSE_SPLIT_PARAMS = 2000
INERTIA_SPLIT_PARAMS = HESSIAN_MAX_PARAMS
MAX_T = 1e5
MAX_GD_STEPS = 200_000  # t_max / (time per step) for the discrete runs.
# Work of a discrete run, steps x parameters: one step costs ~3 products per layer, so 2e7 is
# about 5 s on these machines. Estimated before anything is allocated.
MAX_GD_WORK = 20_000_000
MAX_SEED = 2**32 - 1  # seeds spawned by sweeps are 32-bit
INTERACTIVE_SECONDS = 20.0  # A run outside a request (command line, tests) stops past this.
# One request's budget for ALL the work it triggers (main and comparison runs, discrete runs,
# polishing, Hessians, slices): LINFLOW_REQUEST_SECONDS, default this. A view whose estimated
# cost (app.budget.view_cost) exceeds it is refused before anything starts.
REQUEST_SECONDS = 20.0
MIN_RUN_SECONDS = 1.0  # every integration of a request gets at least this share
# Samples kept per run: the weights of every sample are stored (projections, slices), so big
# networks keep fewer samples; at most this many values (samples x parameters) per run, 2 MB.
RUN_VALUES = 250_000
MIN_RUN_SAMPLES = 100
# Measured costs (2-core AMD EPYC, one BLAS thread, with headroom for a loaded machine):
EIGH_SECONDS_PER_N3 = 2.5e-10  # a dense symmetric eigendecomposition of n parameters
# The split by inertia: the Hessian formed, Lanczos extremes and 4-6 LDL^T factorisations
# (measured 4.6e-11 n^3 at 3,744 parameters on a quiet core).
INERTIA_SECONDS_PER_N3 = 1e-10
GD_SECONDS_PER_UPDATE = 1e-7  # one discrete step of one parameter (measured 3-4e-8)
# Krylov work (Lanczos extremes, MINRES polishing) per parameter: measured 2.3e-5 for the 20
# extremes at each end of 2,000-6,000 parameters; critical points converge more slowly.
KRYLOV_SECONDS_PER_PARAM = 1e-4
# A 101 x 101 slice from the product's polynomial coefficients: measured 0.03-0.09 s up to
# 6,000 parameters (it does not grow with the widths).
SLICE_SECONDS = 0.3

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

# --- the result cache -------------------------------------------------------------------------
CACHE_BYTES = 1_000_000_000  # bytes the result cache holds (LINFLOW_CACHE_BYTES), oldest out first
CACHE_ENTRY_BYTES = 12_000_000  # a bigger value is not cached (a run result is at most ~9 MB)

# --- export from the app ----------------------------------------------------------------------
# The app stops starting new figures after this many seconds; with the per-figure timeout a
# request stays inside gunicorn's 60 s worker timeout. `linflow export` has no deadline.
EXPORT_DEADLINE = 25.0
DPI_RANGE = (50, 1200)

# --- a hosted instance (linflow host) -----------------------------------------------------------
HOST_THREADS = 8  # request threads per gunicorn worker (gthread): slow clients hold one each
# Computations one client may start: callback requests per minute (LINFLOW_RATE_PER_MINUTE;
# 0 switches the limit off). Pages, assets and /health are not counted.
RATE_PER_MINUTE = 600
