/* Small matrix products with AVX-512, chosen at run time (see _flowgemm.c). */
#ifndef LINFLOW_FLOWGEMM_H
#define LINFLOW_FLOWGEMM_H

/* Code compiled for AVX-512 by a target attribute, called only where lf_avx512() says the CPU
 * has it: the built extension runs on any x86-64 (and elsewhere without it). */
#if defined(__x86_64__) && defined(__GNUC__)
#define LF_X86 1
#define LF_AVX512 __attribute__((target("avx512f")))
#else
#define LF_X86 0
#endif

/* 1 when the CPU has AVX-512F (and this build the code for it), else 0. */
int lf_avx512(void);
/* C (m x n, row-major) = alpha op(A) B with op(A)[i][p] = A[i si + p sp] (A itself: si = k,
 * sp = 1; its transpose: si = 1, sp = m) and B row-major k x n. Only if lf_avx512(). */
void lf_small_gemm(int m, int n, int k, double alpha, const double *A, long si, long sp,
                   const double *B, double *C);

#endif
