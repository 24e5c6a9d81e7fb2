/* Small matrix products with AVX-512, chosen at run time (see _flowgemm.c). */
#ifndef LINFLOW_FLOWGEMM_H
#define LINFLOW_FLOWGEMM_H

/* 1 when lf_small_gemm can run here (an x86-64 CPU with AVX-512F), else 0. */
int lf_small_gemm_ok(void);
/* C (m x n, row-major) = alpha op(A) B with op(A)[i][p] = A[i si + p sp] (A itself: si = k,
 * sp = 1; its transpose: si = 1, sp = m) and B row-major k x n. Only if lf_small_gemm_ok(). */
void lf_small_gemm(int m, int n, int k, double alpha, const double *A, long si, long sp,
                   const double *B, double *C);

#endif
