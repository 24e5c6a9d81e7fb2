/* Small matrix products for the right-hand side (_flownet.c) with AVX-512, chosen at run time.
 *
 * A P2 evaluation (dims 32-64) is nine products of ~75,000 multiply-adds each. Through BLAS
 * dgemm (scipy's OpenBLAS) a fifth of their time went to packing the operands into its blocked
 * layout, which pays off only for large matrices, and on the benchmark machine's AMD EPYC
 * (Zen 5) its dynamic dispatch picks the AVX2 (Haswell) kernel: 47 GFLOP/s on these shapes,
 * against 120 GFLOP/s here. Each 8 x 16 block of C is accumulated in 16 AVX-512 registers
 * straight from the row-major operands (rows of B are contiguous; elements of A are broadcast),
 * with masks for ragged edges. The functions are compiled for AVX-512 by a target attribute and
 * called only when the CPU reports it, so the extension stays portable; elsewhere (and for
 * large products) the caller uses BLAS or plain loops.
 */
#include <stddef.h>
#include <stdlib.h>

#include "_flowgemm.h"
#include "_flownet.h"

#if LF_X86
#include <immintrin.h>

int lf_avx512(void) {
    static int ok = -1; /* a benign race: every thread computes the same value */
    if (ok < 0) {
        __builtin_cpu_init();
        /* LINFLOW_NO_AVX512 (set before the first run) takes the portable path, for its tests. */
        const char *off = getenv("LINFLOW_NO_AVX512");
        ok = __builtin_cpu_supports("avx512f") && !(off && *off) ? 1 : 0;
    }
    return ok;
}

#define AVX512 LF_AVX512

/* Rows [i, i + MR) of C = alpha op(A) B, columns [j, j + 16) (masks m0, m1 for a ragged edge):
 * op(A)[r][p] = A[r si + p sp], B row-major k x n, C row-major m x n. The accumulators are named
 * registers: as an array gcc stored all of them to the stack on every step of p (3x slower). */
#define ROW(r)                                                                                   \
    ar = _mm512_set1_pd(a[(size_t)(r) * si]);                                                    \
    c0##r = _mm512_fmadd_pd(ar, b0, c0##r), c1##r = _mm512_fmadd_pd(ar, b1, c1##r)
#define STORE(r)                                                                                 \
    _mm512_mask_storeu_pd(C + (size_t)(r) * n, m0, _mm512_mul_pd(s, c0##r));                   \
    _mm512_mask_storeu_pd(C + (size_t)(r) * n + 8, m1, _mm512_mul_pd(s, c1##r))
static AVX512 void tile8(int k, double alpha, const double *A, long si, long sp, const double *B,
                         int n, double *C, __mmask8 m0, __mmask8 m1) {
    __m512d c00 = _mm512_setzero_pd(), c01 = c00, c02 = c00, c03 = c00, c04 = c00, c05 = c00,
            c06 = c00, c07 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00, c14 = c00,
            c15 = c00, c16 = c00, c17 = c00, ar;
    for (int p = 0; p < k; p++) {
        const double *b = B + (size_t)p * n, *a = A + (size_t)p * sp;
        const __m512d b0 = _mm512_maskz_loadu_pd(m0, b), b1 = _mm512_maskz_loadu_pd(m1, b + 8);
        ROW(0); ROW(1); ROW(2); ROW(3); ROW(4); ROW(5); ROW(6); ROW(7);
    }
    const __m512d s = _mm512_set1_pd(alpha);
    STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5); STORE(6); STORE(7);
}

static AVX512 void tile4(int k, double alpha, const double *A, long si, long sp, const double *B,
                         int n, double *C, __mmask8 m0, __mmask8 m1) {
    __m512d c00 = _mm512_setzero_pd(), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00,
            c12 = c00, c13 = c00, ar;
    for (int p = 0; p < k; p++) {
        const double *b = B + (size_t)p * n, *a = A + (size_t)p * sp;
        const __m512d b0 = _mm512_maskz_loadu_pd(m0, b), b1 = _mm512_maskz_loadu_pd(m1, b + 8);
        ROW(0); ROW(1); ROW(2); ROW(3);
    }
    const __m512d s = _mm512_set1_pd(alpha);
    STORE(0); STORE(1); STORE(2); STORE(3);
}

static AVX512 void tile2(int k, double alpha, const double *A, long si, long sp, const double *B,
                         int n, double *C, __mmask8 m0, __mmask8 m1) {
    __m512d c00 = _mm512_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, ar;
    for (int p = 0; p < k; p++) {
        const double *b = B + (size_t)p * n, *a = A + (size_t)p * sp;
        const __m512d b0 = _mm512_maskz_loadu_pd(m0, b), b1 = _mm512_maskz_loadu_pd(m1, b + 8);
        ROW(0); ROW(1);
    }
    const __m512d s = _mm512_set1_pd(alpha);
    STORE(0); STORE(1);
}

static AVX512 void tile1(int k, double alpha, const double *A, long si, long sp, const double *B,
                         int n, double *C, __mmask8 m0, __mmask8 m1) {
    __m512d c00 = _mm512_setzero_pd(), c10 = c00, ar;
    for (int p = 0; p < k; p++) {
        const double *b = B + (size_t)p * n, *a = A + (size_t)p * sp;
        const __m512d b0 = _mm512_maskz_loadu_pd(m0, b), b1 = _mm512_maskz_loadu_pd(m1, b + 8);
        ROW(0);
    }
    const __m512d s = _mm512_set1_pd(alpha);
    STORE(0);
}

typedef void tile_t(int, double, const double *, long, long, const double *, int, double *,
                    __mmask8, __mmask8);

AVX512 void lf_small_gemm(int m, int n, int k, double alpha, const double *A, long si, long sp,
                          const double *B, double *C) {
    for (int j = 0; j < n; j += 16) {
        const int w = n - j < 16 ? n - j : 16;
        const __mmask8 m0 = (__mmask8)(w >= 8 ? 0xFF : (1u << w) - 1);
        const __mmask8 m1 = (__mmask8)(w >= 16 ? 0xFF : w > 8 ? (1u << (w - 8)) - 1 : 0);
        for (int i = 0; i < m;) {
            const int left = m - i, mr = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
            tile_t *tile = mr == 8 ? tile8 : mr == 4 ? tile4 : mr == 2 ? tile2 : tile1;
            tile(k, alpha, A + (size_t)i * si, si, sp, B + j, n, C + (size_t)i * n + j, m0, m1);
            i += mr;
        }
    }
}

/* T (k x n) = B^T, B row-major n x k: 8 x 8 blocks through registers (24 shuffles each; the
 * scalar loop took a third as long as the product it fed), ragged edges element by element. */
static AVX512 void transpose(int n, int k, const double *B, double *T) {
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        int p = 0;
        for (; p + 8 <= k; p += 8) {
            __m512d r[8], t[8], u[8];
            for (int i = 0; i < 8; i++) r[i] = _mm512_loadu_pd(B + (size_t)(j + i) * k + p);
            for (int i = 0; i < 8; i += 2) {
                t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]); /* even columns of rows i, i+1 */
                t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]); /* odd columns */
            }
            for (int h = 0; h < 2; h++) { /* rows 0-3, then 4-7 */
                const int b = 4 * h;
                u[b] = _mm512_shuffle_f64x2(t[b], t[b + 2], 0x88);     /* columns 0, 4 */
                u[b + 1] = _mm512_shuffle_f64x2(t[b], t[b + 2], 0xDD); /* 2, 6 */
                u[b + 2] = _mm512_shuffle_f64x2(t[b + 1], t[b + 3], 0x88); /* 1, 5 */
                u[b + 3] = _mm512_shuffle_f64x2(t[b + 1], t[b + 3], 0xDD); /* 3, 7 */
            }
            static const int col[4][2] = {{0, 4}, {2, 6}, {1, 5}, {3, 7}};
            for (int q = 0; q < 4; q++) {
                double *lo = T + (size_t)(p + col[q][0]) * n + j;
                double *hi = T + (size_t)(p + col[q][1]) * n + j;
                _mm512_storeu_pd(lo, _mm512_shuffle_f64x2(u[q], u[q + 4], 0x88));
                _mm512_storeu_pd(hi, _mm512_shuffle_f64x2(u[q], u[q + 4], 0xDD));
            }
        }
        for (; p < k; p++)
            for (int i = 0; i < 8; i++) T[(size_t)p * n + j + i] = B[(size_t)(j + i) * k + p];
    }
    for (; j < n; j++)
        for (int p = 0; p < k; p++) T[(size_t)p * n + j] = B[(size_t)j * k + p];
}

/* Row-major C (m x n) = alpha op(A) op(B): lf_small_gemm up to SMALL_MAX_WORK multiply-adds
 * with B (k x n) in L2 (at most SMALL_MAX_B doubles, 512 kB), else dgemm (column-major:
 * C^T = op(B)^T op(A)^T), whose blocking and threads can win past that. Measured, one
 * evaluation through these against dgemm: widths 48 (P2) 14-15 against 34-35 us, 96 (products
 * of 0.3-0.6 M multiply-adds) 44 against 85 us, 192 (1.2-2.4 M) 380 against 435-540 us; at
 * 512 and 1024 (8-17 M) the order changed from run to run with the machine's load.
 * op(B) = B^T goes through a transposed copy in bt (k x n), as lf_small_gemm reads rows of B. */
#define SMALL_MAX_WORK (1L << 22)
#define SMALL_MAX_B 65536
static void product(const net_t *net, char ta, char tb, double alpha, const double *A,
                    const double *B, double *C, int m, int k, int n) {
    if ((long)m * k * n > SMALL_MAX_WORK || (long)k * n > SMALL_MAX_B) {
        const double zero = 0.0;
        const int lda = ta == 'N' ? k : m, ldb = tb == 'N' ? n : k;
        net->gemm(&tb, &ta, &n, &m, &k, &alpha, B, &ldb, A, &lda, &zero, C, &n);
        return;
    }
    if (tb == 'T') {
        transpose(n, k, B, net->bt);
        B = net->bt;
    }
    lf_small_gemm(m, n, k, alpha, A, ta == 'N' ? k : 1, ta == 'N' ? 1 : m, B, C);
}

/* net_rhs (_flownet.c, the same sweeps) with every product through product(); the signs of
 * the gradient are folded into the products' alpha. */
double lf_net_rhs_small(const net_t *net, const double *y, double *f) {
    const int L = net->L, dx = net->cols[0], dy = net->rows[L - 1];
    const int *rows = net->rows, *cols = net->cols;
    const double *W[L], *suf[L]; /* L <= LF_MAX_LAYERS, checked on entry */
    double *out[L];
    size_t off = 0, soff = 0;
    for (int j = 0; j < L; j++) {
        W[j] = y + off, out[j] = f + off;
        off += (size_t)rows[j] * cols[j];
    }
    suf[L - 1] = W[L - 1];
    for (int j = L - 2; j >= 0; j--) {
        double *s = net->suf + soff;
        soff += (size_t)dy * cols[j];
        product(net, 'N', 'N', 1.0, suf[j + 1], W[j], s, dy, rows[j], cols[j]);
        suf[j] = s;
    }
    double *M = net->D, *M2 = net->D2, excess = 0.0;
    if (net->S) {
        for (int i = 0; i < dy * dx; i++) net->E[i] = suf[0][i] - net->T[i];
        product(net, 'N', 'N', 1.0, net->E, net->S, M, dy, dx, dx);
        for (int i = 0; i < dy * dx; i++) excess += net->E[i] * M[i];
    } else {
        for (int i = 0; i < dy * dx; i++) M[i] = suf[0][i] - net->T[i], excess += M[i] * M[i];
    }
    if (L == 1) {
        for (int i = 0; i < dy * dx; i++) out[0][i] = -M[i];
        return 0.5 * excess;
    }
    for (int j = 0; j < L - 1; j++) {
        /* out_j = -suf_{j+1}^T M_j; M <- M W_j^T, the last one negated straight into out_{L-1}. */
        product(net, 'T', 'N', -1.0, suf[j + 1], M, out[j], rows[j], dy, cols[j]);
        const int final = j == L - 2;
        product(net, 'N', 'T', final ? -1.0 : 1.0, M, W[j], final ? out[L - 1] : M2, dy, cols[j],
                rows[j]);
        double *tmp = M;
        M = M2, M2 = tmp;
    }
    return 0.5 * excess;
}
#else
int lf_avx512(void) { return 0; }
double lf_net_rhs_small(const net_t *net, const double *y, double *f) { /* never called */
    (void)net, (void)y, (void)f;
    return 0.0;
}
void lf_small_gemm(int m, int n, int k, double alpha, const double *A, long si, long sp,
                   const double *B, double *C) { /* never called: lf_avx512() is 0 */
    (void)m, (void)n, (void)k, (void)alpha, (void)A, (void)si, (void)sp, (void)B, (void)C;
    abort();
}
#endif
