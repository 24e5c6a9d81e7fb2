"""Issue 17 study (not part of ``python -m benchmarks``): can an exponential Rosenbrock method
beat the compiled DOP853 kernel on P2? Measured: no (``benchmarks/P2_STIFF_STUDY.md``).

``python -m benchmarks.p2_exprb_study RTOL [T0 T1]`` integrates P2 (``core_bench.problems``,
seed 0) with exprb43 and prints wall time, gradient evaluations, Hessian-vector products and the
max relative L(t) error at the benchmark's check times against scipy's DOP853 at rtol 1e-13
(cached in /tmp/p2_study/ref.npz). With T0 T1 it starts from the reference state at T0.

exprb43 (Hochbruck, Ostermann & Schweitzer, SIAM J. Numer. Anal. 47 (2009)) for y' = f(y) with
J = f'(y_n) = -Hessian (exact HVPs) and the remainder D(U) = f(U) - f(y_n) - J (U - y_n):

    U2 = y_n + h/2 phi1(hJ/2) f_n,   U3 = y_n + h phi1(hJ) (f_n + D(U2)),
    y_{n+1} = y_n + h phi1(hJ) f_n + h b2(hJ) D(U2) + h b3(hJ) D(U3),
    b2 = 16 phi3 - 48 phi4,  b3 = -2 phi3 + 12 phi4   (embedded order 3: 16 phi3, -2 phi3).

The stiff order conditions b2 c2^2 + b3 c3^2 = 2 phi3, b2 c2^3 + b3 c3^3 = 6 phi4 (c = 1/2, 1)
written at t_n + theta h give the dense output from the same D's: theta phi1(theta hJ) for f_n,
16 theta^3 phi3 - 48 theta^4 phi4 and -2 theta^3 phi3 + 12 theta^4 phi4 (all at theta hJ).
phi_k(hJ) v comes from Lanczos on J (symmetric): ||v|| V_m phi_k(h T_m) e_1, m grown until the
coefficients move less than KRYLOV_FRAC of the step tolerance; J V c = V T c + beta_m v_{m+1} c_m
gives J (U - y_n) without further products. Convergence order 4 was checked on a small net.
"""

from __future__ import annotations

import sys
import time
from math import factorial
from pathlib import Path
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp
from scipy.linalg import eigh_tridiagonal

import core
from benchmarks.core_bench import eval_times, problems, rel_err
from core._weights import flatten, unflatten
from core.derivatives import Objective, objective

REF = Path("/tmp/p2_study/ref.npz")
KRYLOV_FRAC = 0.1  # Krylov error allowed, as a fraction of the step's error tolerance
M_MAX = 150


def phi(k: int, z: np.ndarray) -> np.ndarray:
    """phi_k(z) = sum_j z^j / (j + k)!; Taylor below |z| = 1 (the recursion cancels there)."""
    out = np.empty_like(z)
    small = np.abs(z) < 1.0
    zs, acc = z[small], np.zeros(int(small.sum()))
    term = np.full_like(zs, 1.0 / factorial(k))
    for j in range(30):
        acc += term
        term = term * zs / (j + k + 1)
    out[small] = acc
    zl = z[~small]
    p = np.exp(zl)
    for j in range(1, k + 1):
        p = (p - 1.0 / factorial(j - 1)) / zl
    out[~small] = p
    return out


class Lanczos:
    """A V_m = V_m T_m + beta_m v_{m+1} e_m^T from v, full reorthogonalisation."""

    def __init__(self, op: Any, v: np.ndarray) -> None:
        self.op, self.beta0, self.m, self.nmv = op, float(np.linalg.norm(v)), 0, 0
        self.V = np.zeros((M_MAX + 1, v.size))
        self.alpha: list[float] = []
        self.beta: list[float] = []
        self.done = self.beta0 == 0.0
        if not self.done:
            self.V[0] = v / self.beta0

    def extend(self, m_to: int) -> None:
        while self.m < min(m_to, M_MAX) and not self.done:
            j = self.m
            w = self.op(self.V[j])
            self.nmv += 1
            a = float(w @ self.V[j])
            w = w - self.V[: j + 1].T @ (self.V[: j + 1] @ w)
            b = float(np.linalg.norm(w))
            self.alpha.append(a)
            self.beta.append(b)
            self.m += 1
            if b == 0.0:
                self.done = True
            else:
                self.V[j + 1] = w / b

    def coef(self, g: Any) -> np.ndarray:
        """c with g(T_m) (beta0 e_1) = c, so that g(J) v ~ V_m c."""
        if self.m == 0:
            return np.zeros(0)
        lam, Q = eigh_tridiagonal(np.array(self.alpha), np.array(self.beta[:-1]))
        return self.beta0 * (Q @ (g(lam) * Q[0]))

    def vec(self, c: np.ndarray) -> np.ndarray:
        return self.V[: c.size].T @ c

    def jvec(self, c: np.ndarray) -> np.ndarray:
        """J V_m c from the recurrence (no product)."""
        m = c.size
        if m == 0:
            return np.zeros(self.V.shape[1])
        a, b = np.array(self.alpha), np.array(self.beta)
        tc = a * c
        tc[:-1] += b[:-1] * c[1:]
        tc[1:] += b[:-1] * c[:-1]
        return self.V[:m].T @ tc + b[-1] * c[-1] * self.V[m]

    def converge(self, gs: list[Any], tol: float) -> list[np.ndarray]:
        """Grow m until every g(J) v moves less than tol (2-norm); its coefficient vectors."""
        prev: list[np.ndarray] | None = None
        m = max(self.m, 3)
        while True:
            self.extend(m)
            cs = [self.coef(g) for g in gs]
            if self.done or self.m >= M_MAX:
                return cs
            if prev is not None:
                err = max(
                    float(np.linalg.norm(c - np.pad(p, (0, c.size - p.size))))
                    for c, p in zip(cs, prev, strict=True)
                )
                if err <= tol:
                    return cs
            prev, m = cs, self.m + max(2, self.m // 4)


def combo(h: float, *terms: tuple[float, int, float]) -> Any:
    """z -> sum of w phi_k(theta h z) over the terms (w, k, theta)."""
    return lambda z: sum(w * phi(k, theta * h * z) for w, k, theta in terms)


def exprb43(
    obj: Objective, y0: np.ndarray, t_end: float, rtol: float, atol: float, times: np.ndarray
) -> tuple[np.ndarray, dict[str, int]]:
    """Samples at ``times`` (within [0, t_end]) and counters: gradients, HVPs, steps."""
    shapes = obj.shapes
    count = {"grad": 1, "hvp": 0, "steps": 0, "rejected": 0}
    t, y, h = 0.0, y0.copy(), 1e-2
    f_n = obj.rhs(0.0, y)
    out = [y0.copy() for _ in times[times <= 0]]
    i = len(out)
    while t < t_end:
        Ws = unflatten(y, shapes)

        def jac(v: np.ndarray, Ws: Any = Ws) -> np.ndarray:
            return -flatten(obj.hvp(Ws, unflatten(v, shapes)))

        scale = atol + rtol * np.abs(y)
        h = min(h, t_end - t)
        lf = Lanczos(jac, f_n)  # its Krylov space does not depend on h: kept on rejection
        while True:
            tol = KRYLOV_FRAC * float(np.linalg.norm(scale)) / h
            c_half, c_full = lf.converge([combo(h, (0.5, 1, 0.5)), combo(h, (1, 1, 1))], tol)
            u2 = y + h * lf.vec(c_half)
            d2 = obj.rhs(0.0, u2) - f_n - lf.jvec(h * c_half)
            l2 = Lanczos(jac, d2)
            c2, b2, b2h = l2.converge(
                [combo(h, (1, 1, 1)), combo(h, (16, 3, 1), (-48, 4, 1)), combo(h, (16, 3, 1))],
                tol,
            )
            base = h * lf.vec(c_full)
            u3 = y + base + h * l2.vec(c2)
            d3 = obj.rhs(0.0, u3) - f_n - lf.jvec(h * c_full) - l2.jvec(h * c2)
            l3 = Lanczos(jac, d3)
            b3, b3h = l3.converge([combo(h, (-2, 3, 1), (12, 4, 1)), combo(h, (-2, 3, 1))], tol)
            count["grad"] += 2
            y_new = y + base + h * (l2.vec(b2) + l3.vec(b3))
            est = h * (l2.vec(b2 - b2h) + l3.vec(b3 - b3h))
            sc = atol + rtol * np.maximum(np.abs(y), np.abs(y_new))
            err = float(np.sqrt(np.mean((est / sc) ** 2)))
            count["hvp"] += l2.nmv + l3.nmv
            l2.nmv = l3.nmv = 0
            if err <= 1.0:
                break
            count["rejected"] += 1
            h *= max(0.2, 0.9 * err**-0.25) if np.isfinite(err) else 0.25
        count["hvp"] += lf.nmv
        while i < times.size and times[i] <= t + h + 1e-12:
            th = (times[i] - t) / h  # dense output: the same D's, phi_k(theta h J)
            out.append(
                y
                + h * lf.vec(lf.coef(combo(h, (th, 1, th))))
                + h * l2.vec(l2.coef(combo(h, (16 * th**3, 3, th), (-48 * th**4, 4, th))))
                + h * l3.vec(l3.coef(combo(h, (-2 * th**3, 3, th), (12 * th**4, 4, th))))
            )
            i += 1
        t, y = t + h, y_new
        f_n = obj.rhs(0.0, y)
        count["grad"] += 1
        count["steps"] += 1
        h *= 5.0 if err == 0 else min(5.0, max(0.2, 0.9 * err**-0.25))
    assert len(out) == times.size
    return np.array(out), count


def reference(p: core.Problem, y0: np.ndarray, times: np.ndarray) -> dict[str, np.ndarray]:
    if not REF.exists():
        sol = solve_ivp(
            objective(p).rhs, (0, 200.0), y0, "DOP853", t_eval=times, rtol=1e-13, atol=1e-16
        )
        REF.parent.mkdir(parents=True, exist_ok=True)
        losses = [objective(p).loss(unflatten(y, p.shapes)) for y in sol.y.T]
        np.savez(REF, t=times, L=np.array(losses), y=sol.y.T)
    return dict(np.load(REF))


def main(argv: list[str]) -> None:
    p, scale = problems()["P2"]
    y0 = flatten(core.init_weights(p, scale, seed=0))
    times = eval_times(200.0)
    ref = reference(p, y0, times)
    lo, hi = (float(argv[1]), float(argv[2])) if len(argv) > 2 else (0.0, 200.0)
    i0, i1 = int(np.searchsorted(times, lo)), int(np.searchsorted(times, hi))
    seg = times[i0 : i1 + 1] - times[i0]
    floor = np.full(seg.size, float(ref["L"][0]))
    rtol, rms0 = float(argv[0]), float(np.sqrt(np.mean(y0**2)))
    start = time.perf_counter()
    ys, count = exprb43(objective(p), ref["y"][i0], float(seg[-1]), rtol, rtol * rms0, seg)
    wall = time.perf_counter() - start
    losses = np.array([objective(p).loss(unflatten(y, p.shapes)) for y in ys])
    ref_seg = np.concatenate([floor[:1], ref["L"][i0 : i1 + 1]])  # rel_err floors by element 0
    err = rel_err(np.concatenate([floor[:1], losses]), ref_seg)
    print(
        f"exprb43 rtol {rtol:g} on [{times[i0]:g}, {times[i1]:g}]: {wall:.2f} s {count} {err:.3g}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
