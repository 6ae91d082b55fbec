/* The one place the library calls CBLAS, so that every matrix product is row-major and
 * goes through the BLAS chosen at build time. With a pool, the rows of C (or its columns,
 * for few rows) are split among the pool's threads, each calling a single-threaded BLAS: libdeep's own loops and the
 * BLAS then share one set of threads instead of competing for the cores. */
#include <cblas.h>
#include <limits.h>
#include <pthread.h>

#include "kernels/kernels.h"

/* OpenBLAS's process-wide thread control; weak, so they are NULL with another BLAS. */
extern void openblas_set_num_threads(int threads) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));

/* Calls that want OpenBLAS single-threaded may overlap (fit on one model, predicts on
 * others from many threads), and the setting is process-wide: the first of them saves
 * OpenBLAS's count and sets one thread, the last one out restores it, so that one call's
 * restore never hands the threads back while another still runs. */
static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas_depth, blas_saved;

int deep_blas_threads_single(void)
{
    if (openblas_set_num_threads == NULL || openblas_get_num_threads == NULL)
        return 0;
    pthread_mutex_lock(&blas_lock);
    if (blas_depth++ == 0) {
        blas_saved = openblas_get_num_threads();
        if (blas_saved > 1)
            openblas_set_num_threads(1);
    }
    pthread_mutex_unlock(&blas_lock);
    return 1;
}

void deep_blas_threads_restore(int token)
{
    if (token == 0)
        return;
    pthread_mutex_lock(&blas_lock);
    if (--blas_depth == 0 && blas_saved > 1)
        openblas_set_num_threads(blas_saved);
    pthread_mutex_unlock(&blas_lock);
}

typedef struct gemm_job {
    bool transpose_a, transpose_b;
    int64_t m, n, k;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int64_t lda, ldb, ldc;
    int64_t limit; /* most rows and most of the inner dimension one BLAS call takes */
} gemm_job;

static int64_t smaller(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* Rows [begin, end) and columns [col, col + cols) of C: the same rows of op(A), the same
 * columns of op(B). CBLAS takes int counts, so the rows and the inner dimension (both can
 * be batch * steps or batch * pixels, beyond INT_MAX) go in blocks of at most `limit`; the
 * inner blocks after the first add to C (beta 1). n and the strides are layer widths, at
 * most DEEP_MAX_LAYER_SIZE = INT_MAX. */
static void gemm_block(const gemm_job *j, int64_t begin, int64_t end, int64_t col, int64_t cols)
{
    for (int64_t row = begin; row < end; row += j->limit) {
        int64_t rows = smaller(end - row, j->limit);
        float beta = j->beta;
        int64_t inner = 0;
        do { /* at least once: with k = 0 the call still scales C by beta */
            int64_t depth = smaller(j->k - inner, j->limit);
            const float *a = j->transpose_a ? j->a + inner * j->lda + row : j->a + row * j->lda + inner;
            const float *b = j->transpose_b ? j->b + col * j->ldb + inner : j->b + inner * j->ldb + col;
            cblas_sgemm(CblasRowMajor, j->transpose_a ? CblasTrans : CblasNoTrans,
                        j->transpose_b ? CblasTrans : CblasNoTrans, (int)rows, (int)cols, (int)depth, j->alpha, a,
                        (int)j->lda, b, (int)j->ldb, beta, j->c + row * j->ldc + col, (int)j->ldc);
            beta = 1.0f;
            inner += depth;
        } while (inner < j->k);
    }
}

static void gemm_rows(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const gemm_job *j = raw;
    gemm_block(j, begin, end, 0, j->n);
}

/* Columns of C in blocks of COLUMN_BLOCK (the last one shorter): with few rows (a small
 * batch) splitting the rows would give each thread a sliver of A and all of B to pack,
 * while splitting the columns gives each thread its own part of B. */
#define COLUMN_BLOCK 16
/* Fewer rows than this per chunk: split the columns instead. */
#define MIN_SPLIT_ROWS 64

static void gemm_columns(void *raw, int64_t begin, int64_t end, int32_t worker)
{
    (void)worker;
    const gemm_job *j = raw;
    int64_t col = begin * COLUMN_BLOCK, last = smaller(end * COLUMN_BLOCK, j->n);
    gemm_block(j, 0, j->m, col, last - col);
}

void deep_gemm_blocks(deep_pool *pool, int64_t limit, bool transpose_a, bool transpose_b, int64_t m, int64_t n,
                      int64_t k, float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                      float *c, int64_t ldc)
{
    gemm_job job = {transpose_a, transpose_b, m, n, k, alpha, beta, a, b, c, lda, ldb, ldc,
                    limit >= 1 && limit <= INT_MAX ? limit : INT_MAX};
    /* Small products run on the caller (deep_pool_run_work decides from the work). */
    double work = (double)m * (double)n * (double)(k > 0 ? k : 1);
    int64_t column_blocks = (n + COLUMN_BLOCK - 1) / COLUMN_BLOCK;
    if (m < MIN_SPLIT_ROWS * deep_pool_chunks(pool, m, work) && column_blocks > 1)
        deep_pool_run_work(pool, column_blocks, work, gemm_columns, &job);
    else
        deep_pool_run_work(pool, m, work, gemm_rows, &job);
}

void deep_gemm_strided(deep_pool *pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                       float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                       int64_t ldc)
{
    deep_gemm_blocks(pool, INT_MAX, transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void deep_gemm(deep_pool *pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, const float *b, float beta, float *c)
{
    deep_gemm_strided(pool, transpose_a, transpose_b, m, n, k, alpha, a, transpose_a ? m : k, b, transpose_b ? k : n,
                      beta, c, n);
}
