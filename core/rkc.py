"""RKC: a second-order Runge-Kutta-Chebyshev solver (a scipy ``OdeSolver``).

For y' = f(y) whose Jacobian has a real, non-positive spectrum of radius rho (our flow: the
Jacobian is minus the Hessian, symmetric) an s-stage RKC step is stable for
``h * rho <= beta(s) ~ 0.65 s^2``, so a step of length h costs about ``sqrt(h rho / 0.65)``
evaluations instead of ``h rho / c`` for a classical explicit method. Each step picks the
fewest stages that are stable, so on a plateau (slow, stiff) RKC takes long cheap steps.

Coefficients and the error estimate follow Sommeijer, Shampine & Verwer, "RKC: an explicit
solver for parabolic PDEs", J. Comput. Appl. Math. 88 (1997), with damping eps = 2/13.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray
from scipy.integrate import DenseOutput, OdeSolver

DAMPING = 2.0 / 13.0  # Chebyshev damping eps: shrinks the stability interval ~ 2%, keeps it robust.
STAGE_COEF = 1.54  # s = 1 + sqrt(1 + STAGE_COEF h rho) is the fewest stages stable for h rho.
MAX_STAGES = 400  # Beyond this round-off in the Chebyshev recursion grows; steps are cut instead.
SAFETY = 0.8  # Step-size safety factor.
MIN_FACTOR, MAX_FACTOR = 0.1, 10.0  # Bounds on the step-size change ratio.
RHO_SAFETY = 1.2  # Overestimate the spectral radius: underestimates make steps unstable.
RHO_REFRESH = 25  # Re-estimate the spectral radius every this many accepted steps.


def _coefficients(s: int) -> tuple[NDArray[np.float64], ...]:
    """Stage coefficients (mu, nu, mu_tilde, gamma_tilde) for s >= 2 stages, index j = 0..s."""
    w0 = 1.0 + DAMPING / s**2
    T, dT, ddT = np.zeros(s + 1), np.zeros(s + 1), np.zeros(s + 1)
    T[0], T[1], dT[1] = 1.0, w0, 1.0
    for j in range(2, s + 1):
        T[j] = 2 * w0 * T[j - 1] - T[j - 2]
        dT[j] = 2 * T[j - 1] + 2 * w0 * dT[j - 1] - dT[j - 2]
        ddT[j] = 4 * dT[j - 1] + 2 * w0 * ddT[j - 1] - ddT[j - 2]
    w1 = dT[s] / ddT[s]
    b = np.empty(s + 1)
    b[2:] = ddT[2:] / dT[2:] ** 2
    b[0] = b[1] = b[2]
    a = 1.0 - b * T
    mu, nu, mut, gam = np.zeros(s + 1), np.zeros(s + 1), np.zeros(s + 1), np.zeros(s + 1)
    mut[1] = b[1] * w1
    for j in range(2, s + 1):
        mu[j] = 2 * b[j] * w0 / b[j - 1]
        nu[j] = -b[j] / b[j - 2]
        mut[j] = 2 * b[j] * w1 / b[j - 1]
        gam[j] = -a[j - 1] * mut[j]
    return mu, nu, mut, gam


class RKC(OdeSolver):  # type: ignore[misc]  # scipy ships no type information
    """Runge-Kutta-Chebyshev, order 2, for stiff problems with a real negative spectrum.

    Parameters
    ----------
    fun, t0, y0, t_bound, rtol, atol, max_step, first_step
        As for scipy's solvers.
    spectral_radius : callable ``(t, y) -> float``
        An estimate of the Jacobian's spectral radius (``core.integrate`` passes power
        iteration on exact Hessian-vector products, ``Objective.spectral_radius``).
    """

    t: float
    y: NDArray[np.float64]

    def __init__(
        self,
        fun: Callable[..., NDArray[np.float64]],
        t0: float,
        y0: NDArray[np.float64],
        t_bound: float,
        max_step: float = np.inf,
        rtol: float = 1e-6,
        atol: float = 1e-9,
        first_step: float | None = None,
        spectral_radius: Callable[[float, NDArray[np.float64]], float] | None = None,
        vectorized: bool = False,
        **extraneous: object,
    ) -> None:
        super().__init__(fun, t0, y0, t_bound, vectorized)
        self.rtol, self.atol, self.max_step = rtol, atol, max_step
        if spectral_radius is None:
            raise ValueError("RKC needs spectral_radius(t, y), an estimate of rho(Jacobian)")
        self._rho_fn = spectral_radius
        self.f = self.fun(self.t, self.y)
        self.rho = self._estimate_rho()
        self._since_rho = 0
        self._coef_cache: dict[int, tuple[NDArray[np.float64], ...]] = {}
        scale = atol + rtol * np.abs(self.y)
        d1 = np.sqrt(np.mean((self.f / scale) ** 2))
        h = 0.01 / max(d1, 1e-12) if first_step is None else first_step
        self.h_abs = float(min(h, max_step, abs(t_bound - t0), 10.0 / max(self.rho, 1e-12)))
        self.f_old: NDArray[np.float64] | None = None
        self.n_stages_total = 0
        self.n_rejected = 0

    def _estimate_rho(self) -> float:
        return RHO_SAFETY * float(self._rho_fn(self.t, self.y))

    def _coef(self, s: int) -> tuple[NDArray[np.float64], ...]:
        if s not in self._coef_cache:
            self._coef_cache[s] = _coefficients(s)
        return self._coef_cache[s]

    def _step_impl(self) -> tuple[bool, str | None]:
        t, y, f0 = self.t, self.y, self.f
        if self._since_rho >= RHO_REFRESH:
            self.rho, self._since_rho = self._estimate_rho(), 0
        min_step = 10 * np.spacing(max(abs(t), 1.0))
        h = min(self.h_abs, self.max_step)
        # Longest step the largest stage count keeps stable: h rho = ((s - 1)^2 - 1) / STAGE_COEF.
        h = min(h, ((MAX_STAGES - 1) ** 2 - 1) / (STAGE_COEF * max(self.rho, 1e-300)))
        while True:
            if h < min_step:
                return False, "step size fell below the floating-point spacing of t"
            h = min(h, abs(self.t_bound - t))
            s = max(2, int(np.ceil(1 + np.sqrt(1 + STAGE_COEF * h * self.rho))))
            s = min(s, MAX_STAGES)
            mu, nu, mut, gam = self._coef(s)
            y_prev2, y_prev = y, y + mut[1] * h * f0
            for j in range(2, s + 1):
                fj = self.fun(t + h, y_prev)  # autonomous: the time argument is unused
                y_next = (
                    (1 - mu[j] - nu[j]) * y
                    + mu[j] * y_prev
                    + nu[j] * y_prev2
                    + h * (mut[j] * fj + gam[j] * f0)
                )
                y_prev2, y_prev = y_prev, y_next
            y_new = y_prev
            self.n_stages_total += s
            if not np.all(np.isfinite(y_new)):
                h *= 0.25
                self.n_rejected += 1
                self.rho, self._since_rho = self._estimate_rho(), 0
                continue
            f_new = self.fun(t + h, y_new)
            scale = self.atol + self.rtol * np.maximum(np.abs(y), np.abs(y_new))
            est = 0.8 * (y - y_new) + 0.4 * h * (f0 + f_new)
            err = float(np.sqrt(np.mean((est / scale) ** 2)))
            if err <= 1.0:
                break
            h *= max(MIN_FACTOR, SAFETY * err ** (-1.0 / 3.0))
            self.n_rejected += 1
        factor = MAX_FACTOR if err == 0 else min(MAX_FACTOR, SAFETY * err ** (-1.0 / 3.0))
        self.h_previous = h
        self.t_old, self.y_old, self.f_old = t, y, np.asarray(f0)
        self.t, self.y, self.f = t + self.direction * h, y_new, f_new
        self.h_abs = h * max(factor, MIN_FACTOR)
        self._since_rho += 1
        return True, None

    def _dense_output_impl(self) -> DenseOutput:
        assert self.f_old is not None
        return HermiteDenseOutput(self.t_old, self.t, self.y_old, self.y, self.f_old, self.f)


class HermiteDenseOutput(DenseOutput):  # type: ignore[misc]  # as above
    """Cubic Hermite interpolation from the end values and slopes of a step."""

    def __init__(
        self,
        t_old: float,
        t: float,
        y0: NDArray[np.float64],
        y1: NDArray[np.float64],
        f0: NDArray[np.float64],
        f1: NDArray[np.float64],
    ) -> None:
        super().__init__(t_old, t)
        self.h = t - t_old
        self.y0, self.y1, self.f0, self.f1 = y0, y1, f0, f1

    def _call_impl(self, t: NDArray[np.float64]) -> NDArray[np.float64]:
        x = (np.atleast_1d(t) - self.t_old) / self.h
        h00, h10 = 2 * x**3 - 3 * x**2 + 1, x**3 - 2 * x**2 + x
        h01, h11 = -2 * x**3 + 3 * x**2, x**3 - x**2
        out = (
            np.outer(self.y0, h00)
            + np.outer(self.f0, h10 * self.h)
            + np.outer(self.y1, h01)
            + np.outer(self.f1, h11 * self.h)
        )
        return out[:, 0] if np.ndim(t) == 0 else out
