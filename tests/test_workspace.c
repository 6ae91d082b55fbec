/* The executor's buffers (graph/plan.c): what predict and fit allocate for a model, counted
 * exactly through the workspace, so that memory use is tested deterministically. predict's
 * buffers do not grow with depth; fit keeps one output per layer whose backward reads it and
 * no more; element-wise layers (ReLU, Add) run in place; and a residual block whose
 * buffers are shared that way still passes a finite-difference gradient check. */
#include <math.h>

#include "check_helpers.h"
#include "graph/model.h"

enum { BATCH = 4 };

static void compile_mse(deep_model *model)
{
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_model_set_seed(model, 3));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
}

/* The floats of the arena holding every node's output (and in training gradient). */
static int64_t arena_floats(const deep_model *model, bool training)
{
    deep_workspace ws;
    ck_assert_int_eq(deep_workspace_init(model, BATCH, training, &ws), DEEP_OK);
    int64_t floats = ws.arena_floats;
    ck_assert_int_ge(ws.bytes, floats * (int64_t)sizeof(float));
    deep_workspace_release(model, &ws);
    return floats;
}

/* Layer kinds of the chains below. */
typedef enum chain_kind { DENSE_TANH, DENSE_RELU_LAYER, DENSE_BN_RELU, CONV_BN_RELU } chain_kind;

/* `depth` blocks of one kind on 8 features (or 6x6x3 images), then Dense(2). */
static deep_model *chain(chain_kind kind, int depth)
{
    deep_model *model = NULL;
    if (kind == CONV_BN_RELU)
        ASSERT_OK(deep_model_new(3, (int64_t[]){6, 6, 3}, &model));
    else
        ASSERT_OK(deep_model_new(1, (int64_t[]){8}, &model));
    for (int i = 0; i < depth; i++) {
        if (kind == CONV_BN_RELU)
            ASSERT_OK(deep_model_add_conv2d(model, 3, 3, 3, 1, 1, DEEP_PADDING_SAME, DEEP_ACTIVATION_LINEAR, 0));
        else
            ASSERT_OK(deep_model_add_dense(model, 8, kind == DENSE_TANH ? DEEP_ACTIVATION_TANH : DEEP_ACTIVATION_LINEAR,
                                           1));
        if (kind == DENSE_BN_RELU || kind == CONV_BN_RELU)
            ASSERT_OK(deep_model_add_batch_normalization(model, 0.99, 1e-3));
        if (kind != DENSE_TANH)
            ASSERT_OK(deep_model_add_activation(model, DEEP_ACTIVATION_RELU));
    }
    if (kind == CONV_BN_RELU)
        ASSERT_OK(deep_model_add_flatten(model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    compile_mse(model);
    return model;
}

static int64_t chain_arena(chain_kind kind, int depth, bool training)
{
    deep_model *model = chain(kind, depth);
    int64_t floats = arena_floats(model, training);
    deep_model_free(model);
    return floats;
}

/* Floats of one buffer of `size` per sample: sizes round up to 16 floats (64 bytes). */
static int64_t buffer(int64_t size)
{
    return (BATCH * size + 15) / 16 * 16;
}

START_TEST(predict_does_not_grow_with_depth)
{
    for (chain_kind kind = DENSE_TANH; kind <= CONV_BN_RELU; kind++) {
        int64_t shallow = chain_arena(kind, 3, false), deep = chain_arena(kind, 30, false);
        ck_assert_msg(deep == shallow, "kind %d: predict's buffers grow from %lld to %lld floats with depth", (int)kind,
                      (long long)shallow, (long long)deep);
    }
    /* Input, output, two buffers that alternate (the rest runs in place) and the layers'
     * scratch (one convolution's at a time). */
    deep_model *model = chain(CONV_BN_RELU, 30);
    const deep_layer *conv = model->layers[0];
    ck_assert_int_le(arena_floats(model, false), buffer(6 * 6 * 3) * 3 + buffer(2) +
                                                     2 * (BATCH * conv->scratch_size + conv->scratch_fixed));
    deep_model_free(model);
}
END_TEST

/* Floats of the scratch one block of a chain keeps from forward to backward: the
 * BatchNormalization's statistics and the ReLU's signs (a bit per value). */
static int64_t kept_scratch(chain_kind kind)
{
    deep_model *model = chain(kind, 1);
    int64_t floats = 0;
    for (int32_t i = 0; i < model->layer_count; i++) {
        const deep_layer *layer = model->layers[i];
        if (layer->ops == &deep_batch_normalization_ops || layer->ops == &deep_activation_ops)
            floats += (BATCH * layer->scratch_size + layer->scratch_fixed + 15) / 16 * 16;
    }
    deep_model_free(model);
    return floats;
}

START_TEST(fit_keeps_what_backward_reads)
{
    /* Each Dense(tanh) reads its input and its output in backward: one more layer keeps one
     * more output, and nothing else grows. */
    ck_assert_int_eq(chain_arena(DENSE_TANH, 30, true) - chain_arena(DENSE_TANH, 10, true), 20 * buffer(8));
    /* Dense then ReLU: the ReLU runs in place over the Dense's output (which the Dense's
     * backward does not read) and keeps its signs, so a pair keeps one buffer and the bits. */
    ck_assert_int_gt(kept_scratch(DENSE_RELU_LAYER), 0);
    ck_assert_int_eq(chain_arena(DENSE_RELU_LAYER, 30, true) - chain_arena(DENSE_RELU_LAYER, 10, true),
                     20 * (buffer(8) + kept_scratch(DENSE_RELU_LAYER)));
    /* Dense, BatchNormalization (reads its input and the statistics in its scratch), ReLU
     * in place over the normalised output, which the next layer's backward reads: two
     * buffers and the scratch per block. The convolutions' scratch is shared (backward does
     * not read it). */
    ck_assert_int_eq(chain_arena(DENSE_BN_RELU, 30, true) - chain_arena(DENSE_BN_RELU, 10, true),
                     20 * (2 * buffer(8) + kept_scratch(DENSE_BN_RELU)));
    ck_assert_int_eq(chain_arena(CONV_BN_RELU, 30, true) - chain_arena(CONV_BN_RELU, 10, true),
                     20 * (2 * buffer(6 * 6 * 3) + kept_scratch(CONV_BN_RELU)));
}
END_TEST

/* x -> Dense -> BN -> ReLU -> Dense -> BN, + x, ReLU, -> Dense(3): the residual block of the
 * ResNet example on vectors. Returns the node of the block's first ReLU. */
static deep_model *residual_model(int32_t *relu_node, int32_t *add_node)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){6}, &model));
    ASSERT_OK(deep_model_add_dense(model, 6, DEEP_ACTIVATION_TANH, 1)); /* node 1: the block's input */
    ASSERT_OK(deep_model_add_dense(model, 6, DEEP_ACTIVATION_LINEAR, 0));
    ASSERT_OK(deep_model_add_batch_normalization(model, 0.9, 1e-3));
    ASSERT_OK(deep_model_add_activation(model, DEEP_ACTIVATION_RELU));
    ASSERT_OK(deep_model_last_node(model, relu_node));
    ASSERT_OK(deep_model_add_dense(model, 6, DEEP_ACTIVATION_LINEAR, 0));
    ASSERT_OK(deep_model_add_batch_normalization(model, 0.9, 1e-3));
    int32_t branch, block_in = 1;
    ASSERT_OK(deep_model_last_node(model, &branch));
    ASSERT_OK(deep_model_connect(model, (int32_t[]){branch, block_in}, 2));
    ASSERT_OK(deep_model_add_add(model));
    ASSERT_OK(deep_model_last_node(model, add_node));
    ASSERT_OK(deep_model_add_activation(model, DEEP_ACTIVATION_RELU));
    ASSERT_OK(deep_model_add_dense(model, 3, DEEP_ACTIVATION_LINEAR, 1));
    compile_mse(model);
    return model;
}

static double loss_of(deep_model *model, deep_workspace *ws, const float *x, const float *y)
{
    deep_exec ex = {.training = true};
    deep_model_load_inputs(model, ws, x, BATCH);
    memcpy(ws->targets, y, BATCH * 3 * sizeof(float));
    deep_model_forward(model, ws, &ex, BATCH);
    deep_pass_stats stats = {0};
    return deep_model_score_batch(model, ws, BATCH, &stats, NULL);
}

START_TEST(in_place_residual_block_passes_gradient_check)
{
    int32_t relu, add;
    deep_model *model = residual_model(&relu, &add);
    float x[BATCH * 6], y[BATCH * 3];
    for (int i = 0; i < BATCH * 6; i++)
        x[i] = (float)sin(0.9 * i + 0.2);
    for (int i = 0; i < BATCH * 3; i++)
        y[i] = (float)cos(1.3 * i);
    for (int64_t i = 0; i < model->weight_total; i++)
        model->weights[i] = 0.8f * (float)sin(1.7 * (double)i + 0.3);
    /* The moving statistics are not trained: gamma 1 and the rest as set above. */
    deep_workspace ws;
    ck_assert_int_eq(deep_workspace_init(model, BATCH, true, &ws), DEEP_OK);
    /* In place: the ReLUs over the BatchNormalization's and the Add's outputs, and their
     * inputs' gradients over theirs. */
    ck_assert_ptr_eq(ws.acts[relu], ws.acts[relu - 1]);
    ck_assert_ptr_eq(ws.acts[add + 1], ws.acts[add]);
    ck_assert_ptr_eq(ws.grads[relu], ws.grads[relu - 1]);
    ck_assert_ptr_nonnull(ws.grads[add]);

    deep_exec ex = {.training = true};
    loss_of(model, &ws, x, y);
    deep_pass_stats stats = {0};
    deep_model_score_batch(model, &ws, BATCH, &stats, ws.grad_a);
    deep_model_backward(model, &ws, &ex, BATCH);
    float *analytic = malloc((size_t)model->weight_total * sizeof *analytic);
    memcpy(analytic, model->grads, (size_t)model->weight_total * sizeof *analytic);
    int checked = 0;
    for (int32_t p = 0; p < model->layer_count; p++) {
        const deep_layer *layer = model->layers[p];
        for (int32_t q = 0; q < layer->param_count; q++) {
            if (!layer->params[q].trainable)
                continue;
            for (int64_t e = 0; e < layer->params[q].size; e++) {
                float *w = layer->params[q].value + e, saved = *w;
                int64_t i = w - model->weights;
                const float h = 1e-2f;
                *w = saved + h;
                double up = loss_of(model, &ws, x, y);
                *w = saved - h;
                double down = loss_of(model, &ws, x, y);
                *w = saved;
                double numeric = (up - down) / (2.0 * h);
                ck_assert_msg(fabs(numeric - analytic[i]) <= 3e-3 + 3e-2 * fabs(numeric),
                              "%s %s[%lld]: backward gives %g, finite differences %g", layer->name,
                              layer->params[q].name, (long long)e, (double)analytic[i], numeric);
                checked++;
            }
        }
    }
    ck_assert_int_gt(checked, 100);
    free(analytic);
    deep_workspace_release(model, &ws);
    deep_model_free(model);
}
END_TEST

static Suite *workspace_suite(void)
{
    Suite *s = suite_create("workspace");
    TCase *memory = tcase_create("memory");
    tcase_add_test(memory, predict_does_not_grow_with_depth);
    tcase_add_test(memory, fit_keeps_what_backward_reads);
    tcase_add_test(memory, in_place_residual_block_passes_gradient_check);
    tcase_set_timeout(memory, 60);
    suite_add_tcase(s, memory);
    return s;
}

int main(void)
{
    return run_suite(workspace_suite(), CK_NORMAL);
}
