/* Adaptive explicit Runge-Kutta integration of the gradient flow d theta/dt = -grad L(theta)
 * of a deep linear network (right-hand side in _flownet.c), with dense output on a time grid,
 * stopping at convergence or divergence, and step sizes capped at the method's stability limit.
 *
 * Two methods, one driver (lf_integrate):
 *   LF_DP5    Dormand & Prince (1980) 5(4), Shampine's 4th-order continuous extension.
 *   LF_DOP853 Hairer's DOP853: 8th order, the 5th/3rd-order blended error estimate and the
 *             7th-order continuous extension (3 extra stages, only on steps that hold samples).
 *             Its tableau is passed in (core/kernel.py reads it from scipy).
 * The right-hand side is autonomous, so the nodes c_i are not needed.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "_flownet.h"
#include "_flowstage.h"

enum { LF_DP5 = 0, LF_DOP853 = 1 };

/* The interface version core/kernel.py expects (its ABI): bump on any exported signature or
 * struct change, so a stale build is refused rather than called with the wrong arguments. */
int lf_abi(void) { return 3; }
int lf_max_layers(void) { return LF_MAX_LAYERS; }
enum {
    LF_BAD_SPEC = -1,
    LF_T_END = 0,
    LF_CONVERGED = 1,
    LF_DIVERGED = 2,
    LF_STEP_LIMIT = 3,
    LF_FAILED = 4
};

#define SAFETY 0.9
#define MIN_FACTOR 0.2
#define MAX_FACTOR 10.0

/* Dormand-Prince 5(4): stages, 5th-order weights, error weights (b - b_hat), and the
 * continuous extension y(t + x h) = y + h sum_r K_r sum_k P[r][k] x^(k+1). */
static const double DP_A[6][5] = {
    {0, 0, 0, 0, 0},
    {1.0 / 5, 0, 0, 0, 0},
    {3.0 / 40, 9.0 / 40, 0, 0, 0},
    {44.0 / 45, -56.0 / 15, 32.0 / 9, 0, 0},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729, 0},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
};
static const double DP_B[6] = {35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784,
                               11.0 / 84};
static const double DP_E[7] = {-71.0 / 57600, 0, 71.0 / 16695, -71.0 / 1920,
                               17253.0 / 339200, -22.0 / 525, 1.0 / 40};
static const double DP_P[7][4] = {
    {1, -8048581381.0 / 2820520608, 8663915743.0 / 2820520608, -12715105075.0 / 11282082432},
    {0, 0, 0, 0},
    {0, 131558114200.0 / 32700410799, -68118460800.0 / 10900136933,
     87487479700.0 / 32700410799},
    {0, -1754552775.0 / 470086768, 14199869525.0 / 1410260304, -10690763975.0 / 1880347072},
    {0, 127303824393.0 / 49829197408, -318862633887.0 / 49829197408,
     701980252875.0 / 199316789632},
    {0, -282668133.0 / 205662961, 2019193451.0 / 616988883, -1453857185.0 / 822651844},
    {0, 40617522.0 / 29380423, -110615467.0 / 29380423, 69997945.0 / 29380423},
};

/* DOP853's tableau as laid out by the caller (row-major, doubles, concatenated):
 * A (16 x 16; rows 13-15 are the dense-output stages), B (12), E3 (13), E5 (13), D (4 x 16). */
#define D8_STAGES 12
#define D8_EXTENDED 16
typedef struct {
    const double *A, *B, *E3, *E5, *D;
} dop853_t;

static dop853_t d8_view(const double *tab) {
    dop853_t t;
    t.A = tab;
    t.B = t.A + D8_EXTENDED * D8_EXTENDED;
    t.E3 = t.B + D8_STAGES;
    t.E5 = t.E3 + D8_STAGES + 1;
    t.D = t.E5 + D8_STAGES + 1;
    return t;
}

/* Workspace doubles lf_integrate needs for a spec (-1: unusable spec). */
long lf_work(const lf_spec_t *spec) {
    if (!spec || lf_check_net(spec->L, spec->rows, spec->cols, spec->n) != 0) return -1;
    /* DP5: 7 stages + stage argument + new y. DOP853: 16 stages, 2 vectors, 7 dense rows. */
    return lf_rhs_work(spec->L, spec->rows, spec->cols) +
           (spec->method == LF_DOP853 ? 25 : 9) * spec->n;
}

/* ys = y + h sum_{r < s} a[r] K_r. */
static void stage_arg(long n, const double *y, double h, const double *a, int s,
                      const double *const *K, double *ys) {
    const lf_combo_t cb = lf_combo(1, &a, &h, s);
    lf_combine(&cb, K, &y, n, &ys);
}

static inline double max_abs(double a, double b) {
    a = fabs(a), b = fabs(b);
    return a > b ? a : b;
}

/* sum_i (a_i - b_i)^2. */
static double dist2(long n, const double *a, const double *b) {
    double s = 0.0;
    for (long i = 0; i < n; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
    return s;
}

/* One attempted step from y (K[0] = f(y)) of size h: yn and f(yn) (in K[*last]), the scaled
 * error norm, and ||dK||^2 / ||dY||^2 between the two stages at c = 1 (Hairer's free estimate
 * of the squared spectral radius) in *rho2. */
static double attempt(int method, const dop853_t *d8, const net_t *net, long n, const double *y,
                      double h, double rtol, double atol, double *const *K, double *ys,
                      double *yn, int *last, double *rho2, double *excess_new, long *nfev) {
    double e2 = 0.0, e3 = 0.0, dk2 = 0.0, dy2 = 0.0;
    const int dp5 = method == LF_DP5, ns = dp5 ? 6 : D8_STAGES;
    for (int s = 1; s < ns; s++) {
        stage_arg(n, y, h, dp5 ? DP_A[s] : d8->A + s * D8_EXTENDED, s, (const double *const *)K,
                  ys);
        net_rhs(net, ys, K[s]);
    }
    if (dp5) {
        stage_arg(n, y, h, DP_B, 6, (const double *const *)K, yn);
        *excess_new = net_rhs(net, yn, K[6]);
        *nfev += 6;
        *last = 6;
        const double *w = DP_E;
        const lf_combo_t ce = lf_combo(1, &w, &h, 7);
        const double *none = NULL;
        double eb[LF_BLOCK];
        double *o = eb;
        for (long i0 = 0; i0 < n; i0 += LF_BLOCK) {
            const long i1 = i0 + LF_BLOCK < n ? i0 + LF_BLOCK : n;
            lf_combine_block(&ce, (const double *const *)K, &none, i0, i1, &o);
            for (long i = i0; i < i1; i++) {
                const double q = eb[i - i0] / (atol + rtol * max_abs(y[i], yn[i]));
                e2 += q * q;
                /* Stage 6 (index 5) and the new point both sit at c = 1. */
                const double a = K[6][i] - K[5][i], b = yn[i] - ys[i];
                dk2 += a * a, dy2 += b * b;
            }
        }
        *rho2 = dy2 > 0.0 ? dk2 / dy2 : 0.0;
        return sqrt(e2 / (double)n);
    }
    /* The new point and both error vectors in one pass: they share the stages 0, 5..11 (the
     * error weights of stage 12 = f(yn) are zero in DOP853, checked by core/kernel.py). */
    const double *w[3] = {d8->B, d8->E5, d8->E3}, sc[3] = {h, 1.0, 1.0};
    const lf_combo_t cb = lf_combo(3, w, sc, D8_STAGES);
    const double *base[3] = {y, NULL, NULL};
    double b5[LF_BLOCK], b3[LF_BLOCK];
    for (long i0 = 0; i0 < n; i0 += LF_BLOCK) {
        const long i1 = i0 + LF_BLOCK < n ? i0 + LF_BLOCK : n;
        double *out[3] = {yn + i0, b5, b3};
        lf_combine_block(&cb, (const double *const *)K, base, i0, i1, out);
        for (long i = i0; i < i1; i++) {
            const double inv = 1.0 / (atol + rtol * max_abs(y[i], yn[i]));
            const double q5 = b5[i - i0] * inv, q3 = b3[i - i0] * inv, d = yn[i] - ys[i];
            e2 += q5 * q5, e3 += q3 * q3, dy2 += d * d;
        }
    }
    *excess_new = net_rhs(net, yn, K[D8_STAGES]);
    *nfev += D8_STAGES;
    *last = D8_STAGES;
    /* Stage 12 (index 11) and the new point both sit at c = 1. */
    *rho2 = dy2 > 0.0 ? dist2(n, K[D8_STAGES], K[D8_STAGES - 1]) / dy2 : 0.0;
    if (e2 == 0.0 && e3 == 0.0) return 0.0;
    return fabs(h) * e2 / sqrt((e2 + 0.01 * e3) * (double)n);
}

/* After an accepted step y -> yn of size h: write the grid times in (t, t + h] to samples. */
static void dense(int method, const dop853_t *d8, const net_t *net, long n, const double *y,
                  const double *yn, double h, double t, double t_new, double *const *K,
                  double *ys, double *F, const double *grid, long n_grid, long *i_next,
                  double *samples, long *nfev) {
    if (*i_next >= n_grid || grid[*i_next] > t_new) return;
    const double *const *Kc = (const double *const *)K;
    if (method == LF_DOP853) {
        for (int s = D8_STAGES + 1; s < D8_EXTENDED; s++) {
            stage_arg(n, y, h, d8->A + s * D8_EXTENDED, s, Kc, ys);
            net_rhs(net, ys, K[s]);
        }
        *nfev += D8_EXTENDED - D8_STAGES - 1;
        const double *f0 = K[0], *f1 = K[D8_STAGES];
        for (long i = 0; i < n; i++) {
            const double dy = yn[i] - y[i];
            F[i] = dy;
            F[n + i] = h * f0[i] - dy;
            F[2 * n + i] = 2 * dy - h * (f1[i] + f0[i]);
        }
        /* The four remaining rows share their stages: one pass. */
        const double *w[4], sc[4] = {h, h, h, h}, *base[4] = {NULL, NULL, NULL, NULL};
        double *out[4];
        for (int k = 0; k < 4; k++)
            w[k] = d8->D + k * D8_EXTENDED, out[k] = F + (size_t)(3 + k) * n;
        const lf_combo_t cd = lf_combo(4, w, sc, D8_EXTENDED);
        lf_combine(&cd, Kc, base, n, out);
    }
    while (*i_next < n_grid && grid[*i_next] <= t_new) {
        const double x = (grid[*i_next] - t) / h;
        double *row = samples + (size_t)(*i_next) * n;
        if (method == LF_DP5) {
            const double px[4] = {x, x * x, x * x * x, x * x * x * x};
            double w[7];
            for (int r = 0; r < 7; r++)
                w[r] = DP_P[r][0] * px[0] + DP_P[r][1] * px[1] + DP_P[r][2] * px[2] +
                       DP_P[r][3] * px[3];
            for (long i = 0; i < n; i++) {
                double acc = 0.0;
                for (int r = 0; r < 7; r++) acc += w[r] * K[r][i];
                row[i] = y[i] + h * acc;
            }
        } else {
            /* y_old + F0 x + F1 x(1-x) + F2 x^2(1-x) + ..., nested (Horner in x and 1-x). */
            for (long i = 0; i < n; i++) {
                double v = 0.0;
                for (int k = 6; k >= 0; k--) {
                    v += F[(size_t)k * n + i];
                    v *= (k % 2 == 0) ? x : 1.0 - x;
                }
                row[i] = y[i] + v;
            }
        }
        *i_next += 1;
    }
}

/* The plateau band holding an excess value (bands ascending, disjoint), or -1. */
static int band_of(const lf_spec_t *sp, double e) {
    int lo = 0, hi = sp->n_bands; /* first band whose lower edge exceeds e */
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (sp->band_lo[mid] <= e) lo = mid + 1;
        else hi = mid;
    }
    const int b = lo - 1;
    return (b >= 0 && e <= sp->band_hi[b]) ? b : -1;
}

/* Close the open visit (core/plateaus.py's VisitTracker._close, the same rule): keep it if
 * there is room, else in place of the least stalled one if it is more stalled than that. */
void lf_visit_close(const lf_spec_t *sp, lf_state_t *st, lf_out_t *out, double t_after) {
    if (st->band < 0) return;
    const double half = sp->band_half[st->band], span = t_after - st->v_before;
    const double stall = half > 0 ? span * st->v_gmin * st->v_gmin / (2.0 * half) : INFINITY;
    int slot = -1;
    if (st->n_visits < sp->max_visits) {
        slot = st->n_visits++;
    } else if (sp->max_visits > 0) {
        int worst = 0;
        for (int k = 1; k < st->n_visits; k++)
            if (out->v_stall[k] > out->v_stall[worst]) worst = k;
        if (stall < out->v_stall[worst]) slot = worst;
    }
    if (slot >= 0) {
        out->v_band[slot] = st->band;
        out->v_before[slot] = st->v_before, out->v_enter[slot] = st->v_enter;
        out->v_exit[slot] = st->v_exit, out->v_after[slot] = t_after;
        out->v_gmin[slot] = st->v_gmin, out->v_tmin[slot] = st->v_tmin;
        out->v_stall[slot] = stall;
        memcpy(out->v_theta + (size_t)slot * sp->n, out->open_theta,
               sizeof(double) * (size_t)sp->n);
    }
    st->band = -1;
}

/* After an accepted step (or at the start) to time t and state y with st->g, st->excess:
 * extend the open visit, or close it and open one in the new band (VisitTracker.step). */
void lf_visit_step(const lf_spec_t *sp, lf_state_t *st, lf_out_t *out, double t, const double *y) {
    if (sp->n_bands > 0) {
        const int b = band_of(sp, st->excess);
        if (st->band >= 0 && b == st->band) {
            st->v_exit = t;
            if (st->g < st->v_gmin) {
                st->v_gmin = st->g, st->v_tmin = t;
                memcpy(out->open_theta, y, sizeof(double) * (size_t)sp->n);
            }
        } else {
            if (st->band >= 0) lf_visit_close(sp, st, out, t);
            if (b >= 0) {
                st->band = b, st->v_before = st->t_last, st->v_enter = st->v_exit = t;
                st->v_gmin = st->g, st->v_tmin = t;
                memcpy(out->open_theta, y, sizeof(double) * (size_t)sp->n);
            }
        }
    }
    st->t_last = t;
}

/* Advance y (n) from st->t towards t_end with adaptive steps (st->h in/out) until t_end, the
 * global minimum (sp->stop: ||f|| < gtol and excess < ltol; core/stopping.py's rule), divergence
 * (non-finite or |y_i| > max_norm) or max_steps attempted steps. Grid times passed by accepted
 * steps are written to out->samples from the dense output; plateau visits are tracked at every
 * accepted step. f (n) holds f(y) on entry and on return, st->g and st->excess its norm and the
 * excess loss. Steps are capped at stable_h_rho / rho, rho from the two stages at c = 1, so a
 * run near a minimum decays instead of oscillating at the stability limit. */
int lf_integrate(const lf_spec_t *sp, lf_state_t *st, double *y, double *f, lf_out_t *out,
                 double *work) {
    if (lf_work(sp) < 0 || (sp->n_bands > 0 && sp->max_visits < 0)) return LF_BAD_SPEC;
    const long n = sp->n;
    net_t net;
    net_bind(&net, sp->L, sp->rows, sp->cols, sp->T, sp->S, sp->gemm, work);
    const int method = sp->method;
    const dop853_t d8 = method == LF_DOP853 ? d8_view(sp->tableau) : (dop853_t){0};
    const int n_k = method == LF_DOP853 ? D8_EXTENDED : 7;
    const double order_exp = method == LF_DOP853 ? -1.0 / 8.0 : -1.0 / 5.0;
    /* Stages by row pointer, and the current point in one of two buffers: an accepted step
     * swaps pointers (first same as last, y <- yn) instead of copying vectors. */
    double *K[D8_EXTENDED], *base = work + lf_rhs_work(sp->L, sp->rows, sp->cols);
    for (int s = 0; s < n_k; s++) K[s] = base + (size_t)s * n;
    double *ys = base + (size_t)n_k * n, *yn = ys + n, *F = yn + n, *yc = y;
    memcpy(K[0], f, sizeof(double) * (size_t)n);
    int code = LF_STEP_LIMIT;
    for (long step = 0; step < sp->max_steps; step++) {
        if (st->t >= sp->t_end) {
            code = LF_T_END;
            break;
        }
        double hh = st->h;
        int reach = 0, last = 0;
        if (st->t + hh >= sp->t_end) hh = sp->t_end - st->t, reach = 1;
        if (!(hh > 0) || st->t + hh == st->t) {
            code = LF_FAILED;
            break;
        }
        double rho2 = 0.0, excess_new = 0.0;
        const double en = attempt(method, &d8, &net, n, yc, hh, sp->rtol, sp->atol, K, ys, yn,
                                  &last, &rho2, &excess_new, &st->nfev);
        const int ok = isfinite(en) && en <= 1.0;
        double factor = en == 0.0 ? MAX_FACTOR : SAFETY * pow(en, order_exp);
        if (!isfinite(factor)) factor = MIN_FACTOR;
        factor = fmin(MAX_FACTOR, fmax(MIN_FACTOR, factor));
        if (!ok && factor > 1.0) factor = 1.0;
        double hnew = hh * factor;
        if (ok && rho2 > 0.0 && hnew > sp->stable_h_rho / sqrt(rho2))
            hnew = sp->stable_h_rho / sqrt(rho2);
        st->h = hnew;
        if (!ok) {
            st->n_rejected += 1;
            continue;
        }
        st->n_accepted += 1;
        const double t_new = reach ? sp->t_end : st->t + hh;
        dense(method, &d8, &net, n, yc, yn, hh, st->t, t_new, K, ys, F, sp->grid, sp->n_grid,
              &st->i_next, out->samples, &st->nfev);
        st->t = t_new;
        double *tmp = K[0];
        K[0] = K[last], K[last] = tmp; /* first same as last */
        tmp = yc, yc = yn, yn = tmp;
        const double *fn = K[0];
        double g2 = 0.0, ymax = 0.0;
        int finite = 1;
        for (long i = 0; i < n; i++) {
            g2 += fn[i] * fn[i];
            if (!isfinite(yc[i])) finite = 0;
            if (fabs(yc[i]) > ymax) ymax = fabs(yc[i]);
        }
        st->g = sqrt(g2), st->excess = excess_new;
        if (!finite || ymax > sp->max_norm) {
            code = LF_DIVERGED;
            break;
        }
        lf_visit_step(sp, st, out, t_new, yc);
        if (sp->stop && st->g < sp->gtol && st->excess < sp->ltol) {
            code = LF_CONVERGED;
            break;
        }
    }
    if (yc != y) memcpy(y, yc, sizeof(double) * (size_t)n);
    memcpy(f, K[0], sizeof(double) * (size_t)n);
    return code;
}
