/* The one place the library calls CBLAS, so that every matrix product is row-major and
 * goes through the BLAS chosen at build time. With a pool, the rows of C are split among
 * the pool's threads, each calling a single-threaded BLAS: libdeep's own loops and the
 * BLAS then share one set of threads instead of competing for the cores. */
#include <cblas.h>

#include "kernels/kernels.h"

/* OpenBLAS's process-wide thread control; weak, so they are NULL with another BLAS. */
extern void openblas_set_num_threads(int threads) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));

int deep_blas_threads_single(void)
{
    if (openblas_set_num_threads == NULL || openblas_get_num_threads == NULL)
        return 0;
    int previous = openblas_get_num_threads();
    if (previous > 1)
        openblas_set_num_threads(1);
    return previous;
}

void deep_blas_threads_restore(int previous)
{
    if (previous > 1 && openblas_set_num_threads != NULL)
        openblas_set_num_threads(previous);
}

typedef struct gemm_job {
    bool transpose_a, transpose_b;
    int64_t m, n, k;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int64_t lda, ldb, ldc;
} gemm_job;

/* Rows [begin, end) of C: the same rows of op(A), all of B. */
static void gemm_rows(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const gemm_job *j = raw;
    const float *a = j->transpose_a ? j->a + begin : j->a + begin * j->lda;
    cblas_sgemm(CblasRowMajor, j->transpose_a ? CblasTrans : CblasNoTrans, j->transpose_b ? CblasTrans : CblasNoTrans,
                (int)(end - begin), (int)j->n, (int)j->k, j->alpha, a, (int)j->lda, j->b, (int)j->ldb, j->beta,
                j->c + begin * j->ldc, (int)j->ldc);
}

void deep_gemm_strided(deep_pool *pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                       float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                       int64_t ldc)
{
    gemm_job job = {transpose_a, transpose_b, m, n, k, alpha, beta, a, b, c, lda, ldb, ldc};
    deep_pool_run(pool, m, gemm_rows, &job);
}

void deep_gemm(deep_pool *pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, const float *b, float beta, float *c)
{
    deep_gemm_strided(pool, transpose_a, transpose_b, m, n, k, alpha, a, transpose_a ? m : k, b, transpose_b ? k : n,
                      beta, c, n);
}
