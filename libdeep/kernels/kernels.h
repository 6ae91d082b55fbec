/* Numeric kernels shared by the layers: activations and the row-major CBLAS wrapper. */
#ifndef DEEP_KERNELS_H
#define DEEP_KERNELS_H

#include "core/core.h"

bool deep_activation_is_valid(deep_activation activation);
/* Keras' lower-case name: "relu", "softmax", ... */
const char *deep_activation_name(deep_activation activation);

/* x = f(x) in place on `rows` rows of `width` values (softmax works along each row). */
void deep_activation_forward(deep_activation activation, float *x, int64_t rows, int64_t width);
/* grad = grad * f'(.) in place, written in terms of the output y = f(x), which is what the
 * layers keep from the forward pass (softmax uses the full Jacobian of each row). */
void deep_activation_backward(deep_activation activation, const float *y, float *grad, int64_t rows,
                              int64_t width);
/* True for gelu, gelu_tanh and silu: their derivative is not a function of their
 * output, so deep_activation_backward leaves grad alone and the layer must keep the
 * pre-activation x and call deep_activation_backward_input. */
bool deep_activation_needs_input(deep_activation activation);
/* grad = grad * f'(x) in place on n values, from the input x, for the activations
 * deep_activation_needs_input names (the others leave grad alone). */
void deep_activation_backward_input(deep_activation activation, const float *x, float *grad, int64_t n);

/* C = alpha * op(A) * op(B) + beta * C, all row-major, op = transpose when the flag is set;
 * M x K times K x N. N and the strides must fit in int (layer widths, which the layers
 * check when built); M and K may not (a batch's rows), and are split into BLAS calls of
 * at most INT_MAX. The rows of C (or its columns when it has few rows) are split among
 * the pool's threads when the product is large enough to pay for it (pool NULL: one call
 * on the caller). */
void deep_gemm(deep_pool *pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float *a, const float *b, float beta, float *c);
/* The same on blocks of wider matrices: lda, ldb, ldc are the row strides of A, B and C as
 * stored (e.g. the GRU's candidate block of its recurrent kernel). */
void deep_gemm_strided(deep_pool *pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                       float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                       int64_t ldc);
/* deep_gemm_strided with BLAS calls of at most `limit` rows and `limit` of the inner
 * dimension (limit outside [1, INT_MAX]: INT_MAX), so that tests can check the splitting
 * with small matrices. */
void deep_gemm_blocks(deep_pool *pool, int64_t limit, bool transpose_a, bool transpose_b, int64_t m, int64_t n,
                      int64_t k, float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                      float *c, int64_t ldc);

/* While libdeep splits the products itself, OpenBLAS is asked for one thread, as
 * scikit-learn's threadpoolctl does; the setting is process-wide, so it is restored right
 * after, by the last of overlapping calls. single returns what restore needs (0 when the
 * BLAS is not OpenBLAS); every single is followed by one restore on the same thread. */
int deep_blas_threads_single(void);
void deep_blas_threads_restore(int previous);

#endif
