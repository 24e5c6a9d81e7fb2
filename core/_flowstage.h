/* Linear combinations of Runge-Kutta stages (see _flowstage.c). */
#ifndef LINFLOW_FLOWSTAGE_H
#define LINFLOW_FLOWSTAGE_H

#define LF_MAX_STAGES 16 /* DOP853 with its dense-output stages */
#define LF_MAX_OUT 4     /* combinations formed in one pass */
/* Elements per block: up to four outputs and four stage blocks (8 x 2 kB) stay in L1. */
#define LF_BLOCK 256

/* n_out combinations sum_q c[o][q] K_{idx[q]} over the stages any of them uses. */
typedef struct {
    int n_out, nz, idx[LF_MAX_STAGES];
    double c[LF_MAX_OUT][LF_MAX_STAGES];
} lf_combo_t;

/* The combinations scale[o] * sum_r w[o][r] K_r, r < s, keeping the stages some w[o] uses. */
lf_combo_t lf_combo(int n_out, const double *const *w, const double *scale, int s);
/* out[o][i - i0] = (base[o] ? base[o][i] : 0) + sum_q c[o][q] K[idx[q]][i], i in [i0, i1);
 * i1 - i0 <= LF_BLOCK. */
void lf_combine_block(const lf_combo_t *cb, const double *const *K, const double *const *base,
                      long i0, long i1, double *const *out);
/* The same over [0, n), out[o] full vectors. */
void lf_combine(const lf_combo_t *cb, const double *const *K, const double *const *base, long n,
                double *const *out);

#endif
