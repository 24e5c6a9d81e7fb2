/* The deep linear network as the compiled kernel sees it (see _flownet.c). */
#ifndef LINFLOW_FLOWNET_H
#define LINFLOW_FLOWNET_H

/* BLAS dgemm with the Fortran calling convention (scipy.linalg.cython_blas.dgemm, passed in by
 * core/kernel.py for large networks; NULL for small ones, where plain loops are faster). */
typedef void (*dgemm_t)(const char *ta, const char *tb, const int *m, const int *n, const int *k,
                        const double *alpha, const double *a, const int *lda, const double *b,
                        const int *ldb, const double *beta, double *c, const int *ldc);
typedef struct {
    int L;
    const int *rows, *cols;
    const double *T, *S;
    dgemm_t gemm;
    double *suf;        /* sum_j dy * cols[j]: the suffix products W_{L-1} ... W_j */
    double *D, *D2, *E; /* dy * max(cols) each */
} net_t;

/* Workspace doubles net_rhs needs (suffix products and three buffers). */
long lf_rhs_work(int L, const int *rows, const int *cols);
/* Point net at the layer dims, target T, metric S (NULL: identity), dgemm (NULL: loops), work. */
void net_bind(net_t *net, int L, const int *rows, const int *cols, const double *T,
              const double *S, void *gemm, double *work);
/* f = -grad L(y). */
void net_rhs(const net_t *net, const double *y, double *f);

#endif
