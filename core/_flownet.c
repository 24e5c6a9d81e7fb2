/* The right-hand side of the gradient flow of a deep linear network, compiled (see
 * _flowkernel.c for the integrators). Loaded with ctypes by core/kernel.py (no Python C API).
 * Everything is float64, row-major.
 * Layer j (0-based, j = 0..L-1) is W_j of shape rows[j] x cols[j], cols[0] = dx,
 * cols[j] = rows[j-1]; the flat parameter vector is the concatenation of the W_j.
 *
 * Loss: 1/2 ||(P - T) K||^2 with P = W_{L-1} ... W_0 (dy x dx), S = K K^T (NULL: identity).
 * With D = (P - T) S the gradient is (eq 6 of the paper)
 *     dL/dW_j = (W_{L-1} ... W_{j+1})^T D (W_{j-1} ... W_0)^T,
 * computed by two sweeps from the output side (net_rhs); the flow is d theta/dt = -grad L.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "_flowgemm.h"
#include "_flownet.h"

#define BLAS_MIN_WORK 4096 /* multiply-adds below which plain loops beat a BLAS call */

/* Row-major C (m x n) = op(A) op(B) through column-major dgemm: C^T = op(B)^T op(A)^T. */
static int blas_mm(dgemm_t gemm, char ta, char tb, const double *A, const double *B, double *C,
                   int m, int k, int n) {
    if (!gemm || (long)m * k * n < BLAS_MIN_WORK) return 0;
    const double one = 1.0, zero = 0.0;
    const int lda = ta == 'N' ? k : m, ldb = tb == 'N' ? n : k;
    gemm(&tb, &ta, &n, &m, &k, &one, B, &ldb, A, &lda, &zero, C, &n);
    return 1;
}

/* C = A B, A: m x k, B: k x n. */
static void mm(dgemm_t g, const double *A, const double *B, double *C, int m, int k, int n) {
    if (blas_mm(g, 'N', 'N', A, B, C, m, k, n)) return;
    memset(C, 0, sizeof(double) * (size_t)m * n);
    for (int i = 0; i < m; i++)
        for (int p = 0; p < k; p++) {
            const double a = A[i * k + p];
            const double *b = B + (size_t)p * n;
            double *c = C + (size_t)i * n;
            for (int j = 0; j < n; j++) c[j] += a * b[j];
        }
}

/* C = A B^T, A: m x k, B: n x k. */
static void mm_bt(dgemm_t g, const double *A, const double *B, double *C, int m, int k, int n) {
    if (blas_mm(g, 'N', 'T', A, B, C, m, k, n)) return;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            const double *a = A + (size_t)i * k, *b = B + (size_t)j * k;
            double s = 0.0;
            for (int p = 0; p < k; p++) s += a[p] * b[p];
            C[i * n + j] = s;
        }
}

/* C = A^T B, A: k x m, B: k x n. */
static void mm_at(dgemm_t g, const double *A, const double *B, double *C, int k, int m, int n) {
    if (blas_mm(g, 'T', 'N', A, B, C, m, k, n)) return;
    memset(C, 0, sizeof(double) * (size_t)m * n);
    for (int p = 0; p < k; p++)
        for (int i = 0; i < m; i++) {
            const double a = A[p * m + i];
            const double *b = B + (size_t)p * n;
            double *c = C + (size_t)i * n;
            for (int j = 0; j < n; j++) c[j] += a * b[j];
        }
}


int lf_check_net(int L, const int *rows, const int *cols, long n) {
    if (L < 1 || L > LF_MAX_LAYERS || !rows || !cols) return -1;
    long total = 0;
    for (int j = 0; j < L; j++) {
        if (rows[j] < 1 || cols[j] < 1) return -1;
        if (j > 0 && cols[j] != rows[j - 1]) return -1;
        total += (long)rows[j] * cols[j];
    }
    return total == n ? 0 : -1;
}

/* Workspace doubles net_rhs needs: forward products, three dy x (max cols) buffers and room for
 * the largest layer transposed (lf_net_rhs_small). */
long lf_rhs_work(int L, const int *rows, const int *cols) {
    long dy = rows[L - 1], total = 0, maxc = 0, maxw = 0;
    for (int j = 0; j < L; j++) {
        total += dy * cols[j];
        if (cols[j] > maxc) maxc = cols[j];
        if ((long)rows[j] * cols[j] > maxw) maxw = (long)rows[j] * cols[j];
    }
    return total + 3 * dy * maxc + maxw;
}

void net_bind(net_t *net, int L, const int *rows, const int *cols, const double *T,
              const double *S, void *gemm, double *work) {
    const long dy = rows[L - 1];
    long total = 0, maxc = 0;
    for (int j = 0; j < L; j++) {
        total += dy * cols[j];
        if (cols[j] > maxc) maxc = cols[j];
    }
    net->L = L, net->rows = rows, net->cols = cols, net->T = T, net->S = S;
    net->gemm = (dgemm_t)gemm;
    net->suf = work;
    net->D = work + total;
    net->D2 = net->D + (size_t)(dy * maxc);
    net->E = net->D2 + (size_t)(dy * maxc);
    net->bt = net->E + (size_t)(dy * maxc);
    net->small = net->gemm && lf_avx512(); /* BLAS-sized nets on an AVX-512 CPU */
}

/* f = -grad L(y), sweeping from the output side: with suf_j = W_{L-1} ... W_j (dy x d_{j-1}),
 * P = suf_0, D = (P - T) S and M_j = D (W_{j-1} ... W_0)^T (M_0 = D, M_{j+1} = M_j W_j^T),
 *     dL/dW_j = suf_{j+1}^T M_j   (suf_L = I).
 * Every product has dy rows, so one evaluation costs about 3 dy n_params multiply-adds; the
 * input-side sweep (products with dx columns) costs about 3 dx n_params, and dx >= dy.
 * Returns the excess loss 1/2 <E, E S>, E = P - T, from the residual itself (full precision). */
double net_rhs(const net_t *net, const double *y, double *f) {
    if (net->small) return lf_net_rhs_small(net, y, f);
    const int L = net->L, dx = net->cols[0], dy = net->rows[L - 1];
    const double *W[L], *suf[L]; /* L <= LF_MAX_LAYERS, checked on entry */
    double *out[L];
    size_t off = 0, soff = 0;
    for (int j = 0; j < L; j++) {
        W[j] = y + off;
        out[j] = f + off;
        off += (size_t)net->rows[j] * net->cols[j];
    }
    suf[L - 1] = W[L - 1];
    for (int j = L - 2; j >= 0; j--) {
        double *s = net->suf + soff;
        soff += (size_t)dy * net->cols[j];
        mm(net->gemm, suf[j + 1], W[j], s, dy, net->rows[j], net->cols[j]);
        suf[j] = s;
    }
    double *M = net->D, *M2 = net->D2, excess = 0.0;
    if (net->S) {
        for (int i = 0; i < dy * dx; i++) net->E[i] = suf[0][i] - net->T[i];
        mm(net->gemm, net->E, net->S, M, dy, dx, dx);
        for (int i = 0; i < dy * dx; i++) excess += net->E[i] * M[i];
    } else {
        for (int i = 0; i < dy * dx; i++) M[i] = suf[0][i] - net->T[i], excess += M[i] * M[i];
    }
    for (int j = 0; j < L - 1; j++) {
        /* out_j = -suf_{j+1}^T M_j (rows[j] x cols[j]); then M <- M W_j^T (dy x rows[j]). */
        mm_at(net->gemm, suf[j + 1], M, out[j], dy, net->rows[j], net->cols[j]);
        const size_t nj = (size_t)net->rows[j] * net->cols[j];
        for (size_t i = 0; i < nj; i++) out[j][i] = -out[j][i];
        mm_bt(net->gemm, M, W[j], M2, dy, net->cols[j], net->rows[j]);
        double *tmp = M;
        M = M2, M2 = tmp;
    }
    const size_t nl = (size_t)dy * net->cols[L - 1];
    for (size_t i = 0; i < nl; i++) out[L - 1][i] = -M[i];
    return 0.5 * excess;
}

/* f = -grad L(y) and *excess, evaluated reps times in one call (reps > 1: its own cost, for
 * benchmarks). Returns -1 (nothing computed) when the network's dims are unusable. */
int lf_rhs(const lf_spec_t *spec, const double *y, double *f, double *excess, double *work,
           long reps) {
    if (!spec || lf_check_net(spec->L, spec->rows, spec->cols, spec->n) != 0) return -1;
    net_t net;
    net_bind(&net, spec->L, spec->rows, spec->cols, spec->T, spec->S, spec->gemm, work);
    for (long r = 0; r < reps; r++) *excess = net_rhs(&net, y, f);
    return 0;
}

