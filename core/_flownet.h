/* The deep linear network as the compiled kernel sees it (see _flownet.c), and the run's
 * specification, state and outputs shared with core/kernel.py (ctypes mirrors these structs). */
#ifndef LINFLOW_FLOWNET_H
#define LINFLOW_FLOWNET_H

/* Deepest network the kernel takes (per-layer pointer tables live on the stack). Checked on
 * every entry point here and in core/kernel.py. */
#define LF_MAX_LAYERS 1024

/* BLAS dgemm with the Fortran calling convention (scipy.linalg.cython_blas.dgemm, passed in by
 * core/kernel.py for large networks; NULL for small ones, where plain loops are faster). */
typedef void (*dgemm_t)(const char *ta, const char *tb, const int *m, const int *n, const int *k,
                        const double *alpha, const double *a, const int *lda, const double *b,
                        const int *ldb, const double *beta, double *c, const int *ldc);

/* Everything that defines a run; read-only in C. */
typedef struct {
    int L;                    /* layers H + 1; layer j is rows[j] x cols[j] */
    const int *rows, *cols;
    const double *T, *S;      /* target (dy x dx); metric S = K K^T (dx x dx) or NULL */
    void *gemm;               /* dgemm or NULL */
    long n;                   /* parameters, sum rows[j] cols[j] */
    int method;               /* 0: DP5, 1: DOP853 */
    const double *tableau;    /* DOP853's coefficients (core/kernel.py), or unused */
    double stable_h_rho;      /* steps are capped at stable_h_rho / rho */
    double t_end, rtol, atol, max_norm;
    int stop;                 /* 1: stop at the global minimum: ||f|| < gtol and excess < ltol */
    double gtol, ltol;
    long max_steps;           /* attempted steps per call */
    const double *grid;       /* sample times, increasing */
    long n_grid;
    int n_bands;              /* plateau bands, ascending: [band_lo[b], band_hi[b]] */
    const double *band_lo, *band_hi, *band_half;
    int max_visits;
} lf_spec_t;

/* The run's state between calls. */
typedef struct {
    double t, h;              /* time; the next step to try */
    double g, excess;         /* ||f(y)|| and L - L* at y */
    long i_next;              /* next grid sample to write */
    long nfev, n_accepted, n_rejected;
    int band;                 /* the open visit's band, -1: none */
    int n_visits;
    double v_before, v_enter, v_exit, v_gmin, v_tmin, t_last;
} lf_state_t;

/* Where results go. */
typedef struct {
    double *samples;          /* n_grid x n */
    int *v_band;              /* max_visits each ... */
    double *v_before, *v_enter, *v_exit, *v_after, *v_gmin, *v_tmin, *v_stall;
    double *v_theta;          /* max_visits x n: weights where ||f|| was smallest */
    double *open_theta;       /* n: the open visit's best weights so far */
} lf_out_t;

typedef struct {
    int L;
    const int *rows, *cols;
    const double *T, *S;
    dgemm_t gemm;
    double *suf;        /* sum_j dy * cols[j]: the suffix products W_{L-1} ... W_j */
    double *D, *D2, *E; /* dy * max(cols) each */
    double *bt;         /* the largest layer: a transposed operand for lf_small_gemm */
    int small;          /* 1: products go through lf_small_gemm where it pays (see _flowgemm.c) */
} net_t;

/* 0 when the network's dims are usable (1 <= L <= LF_MAX_LAYERS, positive, chained), else -1. */
int lf_check_net(int L, const int *rows, const int *cols, long n);
/* Workspace doubles net_rhs needs (suffix products and three buffers). */
long lf_rhs_work(int L, const int *rows, const int *cols);
/* Point net at the layer dims, target T, metric S (NULL: identity), dgemm (NULL: loops), work. */
void net_bind(net_t *net, int L, const int *rows, const int *cols, const double *T,
              const double *S, void *gemm, double *work);
/* f = -grad L(y); returns the excess loss L - L* = 1/2 <P - T, (P - T) S>. */
double net_rhs(const net_t *net, const double *y, double *f);
/* net_rhs through lf_small_gemm (_flowgemm.c); net_rhs calls it when net->small. */
double lf_net_rhs_small(const net_t *net, const double *y, double *f);

#endif
