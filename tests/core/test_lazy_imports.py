"""scipy.integrate and scipy.sparse.linalg are imported on first use, and first use from several
threads at once must work: the hosted app's threaded workers failed with
``KeyError: 'scipy.integrate'`` (an import deadlock between the package and ``_ivp``) when four
requests for one heavy view arrived together."""

import subprocess
import sys

# Each thread takes a different first path into the lazy packages, all released at once.
SCRIPT = """
import sys, threading, traceback
import numpy as np
import core
from core import kernel

assert "scipy.integrate" not in sys.modules, "import core must not import scipy.integrate"
p = core.Problem.random(3, 2, 6, [3, 3], seed=0)
W0 = core.init_weights(p, 0.1, seed=0)
big = core.Problem.random(24, 6, 24, [24, 24], seed=0)  # over 1,000 parameters: BLAS products
paths = [
    lambda: kernel._dop853_tableau(),
    lambda: core.aligned_solution(p, 0.01, np.linspace(0.0, 5.0, 5)),
    lambda: core.integrate(p, W0, 2.0, method="RK45"),
    lambda: core.integrate(p, W0, 2.0, method="RKC"),
    lambda: core.sweep(p, 4, [0.1], t_max=2.0),
    lambda: core.hessian_split(p, W0, method="lanczos"),
    lambda: core.integrate(big, core.init_weights(big, 0.1, seed=0), 0.5),
]
gate = threading.Barrier(2 * len(paths))
errors = []
def run(f):
    gate.wait()
    try:
        f()
    except Exception:
        errors.append(traceback.format_exc())
threads = [threading.Thread(target=run, args=(f,)) for f in paths * 2]
for t in threads: t.start()
for t in threads: t.join()
print("".join(errors))
sys.exit(1 if errors else 0)
"""


def test_first_use_of_lazy_scipy_packages_from_many_threads_at_once():
    for _ in range(4):  # the race was hit in most fresh interpreters; four make a miss unlikely
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
