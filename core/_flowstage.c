/* Linear combinations of Runge-Kutta stages for the integrators in _flowkernel.c.
 *
 * Stage combinations are the integrator's own cost besides the right-hand side: a DOP853 step
 * forms 11 stage arguments over 50 nonzero weights, then the new point and two error vectors,
 * each a pass over n doubles per weight. Written naively (one pass over the output per stage,
 * then a separate pass per error vector) they took a quarter of a P2 run (9,216 parameters):
 * each output element was loaded and stored once per stage. Here the output is built in blocks
 * that stay in L1 while up to four stages stream through per pass, and combinations that share
 * stages (the new point and both error vectors; the four dense-output rows) are formed in the
 * same pass, so each stage block is read from L2 once for all of them.
 */
#include <stddef.h>
#include <string.h>

#include "_flowgemm.h"
#include "_flowstage.h"

lf_combo_t lf_combo(int n_out, const double *const *w, const double *scale, int s) {
    lf_combo_t cb;
    cb.n_out = n_out, cb.nz = 0;
    for (int r = 0; r < s; r++) {
        int used = 0;
        for (int o = 0; o < n_out; o++) used |= w[o][r] != 0.0;
        if (!used) continue;
        for (int o = 0; o < n_out; o++) cb.c[o][cb.nz] = scale[o] * w[o][r];
        cb.idx[cb.nz++] = r;
    }
    return cb;
}

/* o += c0 k0 + ... + c_{nk-1} k_{nk-1} over m elements (nk = 1..4): one load and store of o
 * per four stages. Compiled twice, plain and for AVX-512 (chosen at run time, lf_avx512): the
 * wide loads cut a P2 run's time by 9% (without -ffp-contract both round the same way). */
#define ACCUMULATE(name, attr)                                                                   \
    static attr void name(double *restrict o, const double *const *k, const double *c, int nk,  \
                          long m) {                                                              \
        const double *restrict k0 = k[0], *restrict k1 = k[nk > 1],                             \
                               *restrict k2 = k[2 * (nk > 2)], *restrict k3 = k[3 * (nk > 3)];   \
        const double c0 = c[0], c1 = nk > 1 ? c[1] : 0.0, c2 = nk > 2 ? c[2] : 0.0,              \
                     c3 = nk > 3 ? c[3] : 0.0;                                                   \
        switch (nk) {                                                                            \
        case 4:                                                                                  \
            for (long i = 0; i < m; i++)                                                         \
                o[i] += c0 * k0[i] + c1 * k1[i] + c2 * k2[i] + c3 * k3[i];                       \
            break;                                                                               \
        case 3:                                                                                  \
            for (long i = 0; i < m; i++) o[i] += c0 * k0[i] + c1 * k1[i] + c2 * k2[i];           \
            break;                                                                               \
        case 2:                                                                                  \
            for (long i = 0; i < m; i++) o[i] += c0 * k0[i] + c1 * k1[i];                        \
            break;                                                                               \
        default:                                                                                 \
            for (long i = 0; i < m; i++) o[i] += c0 * k0[i];                                     \
        }                                                                                        \
    }
ACCUMULATE(accumulate_plain, )
#if LF_X86
ACCUMULATE(accumulate_avx512, LF_AVX512)
#else
#define accumulate_avx512 accumulate_plain
#endif

void lf_combine_block(const lf_combo_t *cb, const double *const *K, const double *const *base,
                      long i0, long i1, double *const *out) {
    const long m = i1 - i0;
    for (int o = 0; o < cb->n_out; o++) {
        if (base[o])
            memcpy(out[o], base[o] + i0, sizeof(double) * (size_t)m);
        else
            memset(out[o], 0, sizeof(double) * (size_t)m);
    }
    const int wide = lf_avx512();
    for (int q = 0; q < cb->nz; q += 4) {
        const int nk = cb->nz - q < 4 ? cb->nz - q : 4;
        const double *k[4];
        for (int j = 0; j < nk; j++) k[j] = K[cb->idx[q + j]] + i0;
        for (int o = 0; o < cb->n_out; o++)
            (wide ? accumulate_avx512 : accumulate_plain)(out[o], k, cb->c[o] + q, nk, m);
    }
}

void lf_combine(const lf_combo_t *cb, const double *const *K, const double *const *base, long n,
                double *const *out) {
    for (long i0 = 0; i0 < n; i0 += LF_BLOCK) {
        const long i1 = i0 + LF_BLOCK < n ? i0 + LF_BLOCK : n;
        double *o[LF_MAX_OUT];
        for (int j = 0; j < cb->n_out; j++) o[j] = out[j] + i0;
        lf_combine_block(cb, K, base, i0, i1, o);
    }
}
