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
} gemm_job;

/* Rows [begin, end) of C: the same rows of op(A), all of B. */
static void gemm_rows(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const gemm_job *j = raw;
    int lda = (int)(j->transpose_a ? j->m : j->k);
    int ldb = (int)(j->transpose_b ? j->k : j->n);
    const float *a = j->transpose_a ? j->a + begin : j->a + begin * j->k;
    cblas_sgemm(CblasRowMajor, j->transpose_a ? CblasTrans : CblasNoTrans, j->transpose_b ? CblasTrans : CblasNoTrans,
                (int)(end - begin), (int)j->n, (int)j->k, j->alpha, a, lda, j->b, ldb, j->beta, j->c + begin * j->n,
                (int)j->n);
}

void deep_gemm(deep_pool *pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, const float *b, float beta, float *c)
{
    gemm_job job = {transpose_a, transpose_b, m, n, k, alpha, beta, a, b, c};
    deep_pool_run(pool, m, gemm_rows, &job);
}
