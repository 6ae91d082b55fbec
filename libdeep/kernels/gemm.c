/* The one place the library calls CBLAS, so that every matrix product is row-major and
 * goes through the BLAS chosen at build time (which threads it by its own settings). */
#include <cblas.h>

#include "kernels/kernels.h"

void deep_gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, const float *b, float beta, float *c)
{
    int lda = (int)(transpose_a ? m : k);
    int ldb = (int)(transpose_b ? k : n);
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha, a, lda, b, ldb,
                beta, c, (int)n);
}
