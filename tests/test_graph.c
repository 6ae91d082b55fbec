/* Layer graphs: the functional API's calls and errors, finite-difference gradient checks of
 * whole graphs (merge layers, a node feeding several calls, a shared layer, several
 * inputs) through the executor, Sequential and graph chains agreeing, sub-models sharing
 * weights, and graphs saved and loaded. */
#include <math.h>

#include "check_helpers.h"
#include "graph/model.h"
#include "tensor/tensor.h"
#include "losses/loss.h"

#include "graph_gradcheck.h"

static void compile_mse(deep_model *model)
{
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_model_set_seed(model, 3));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
}

static int32_t last(deep_model *model)
{
    int32_t node;
    ASSERT_OK(deep_model_last_node(model, &node));
    return node;
}

static int32_t dense_on(deep_model *model, int32_t node, int64_t units, deep_activation activation)
{
    ASSERT_OK(deep_model_connect(model, &node, 1));
    ASSERT_OK(deep_model_add_dense(model, units, activation, 1));
    return last(model);
}

typedef deep_status (*merge_fn)(deep_model *);
static deep_status concatenate_last(deep_model *m) { return deep_model_add_concatenate(m, -1); }
static deep_status concatenate_first(deep_model *m) { return deep_model_add_concatenate(m, 1); }
static const struct {
    const char *name;
    merge_fn add;
    int32_t inputs;
} merges[] = {
    {"add", deep_model_add_add, 3},           {"subtract", deep_model_add_subtract, 2},
    {"multiply", deep_model_add_multiply, 3}, {"average", deep_model_add_average, 3},
    {"maximum", deep_model_add_maximum, 3},   {"minimum", deep_model_add_minimum, 3},
    {"concatenate -1", concatenate_last, 3},  {"concatenate 1", concatenate_first, 2},
};

/* Each merge layer on Dense branches of one (2, 3) input; a Dense after it. */
START_TEST(merge_layers_pass_gradient_checks)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(2, (int64_t[]){2, 3}, &model));
    int32_t branches[3];
    for (int32_t k = 0; k < merges[_i].inputs; k++)
        branches[k] = dense_on(model, 0, 4, k == 0 ? DEEP_ACTIVATION_TANH : DEEP_ACTIVATION_LINEAR);
    ASSERT_OK(deep_model_connect(model, branches, merges[_i].inputs));
    ASSERT_OK(merges[_i].add(model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    compile_mse(model);
    check_gradients(model, 3, 11 + (uint64_t)_i);
    deep_model_free(model);
}
END_TEST

/* A residual block: the input of each Add also feeds the Dense before it, so its gradient
 * is a sum; and one Dense applied at two places shares its weights. */
START_TEST(fan_out_and_shared_layers_sum_gradients)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){4}, &model));
    int32_t h = dense_on(model, 0, 4, DEEP_ACTIVATION_TANH);
    int32_t f = dense_on(model, h, 4, DEEP_ACTIVATION_RELU);
    ASSERT_OK(deep_model_connect(model, (int32_t[]){h, f}, 2));
    ASSERT_OK(deep_model_add_add(model));
    int32_t sum = last(model), again;
    /* layer 1 (the Dense of f) applied again, on the sum */
    ASSERT_OK(deep_model_apply_layer(model, 1, &sum, 1, &again));
    ASSERT_OK(deep_model_connect(model, (int32_t[]){again, again}, 2)); /* the same node twice */
    ASSERT_OK(deep_model_add_multiply(model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    int32_t layers = 0;
    ASSERT_OK(deep_model_layer_count(model, &layers));
    ck_assert_int_eq(layers, 5); /* dense, dense_1, add, multiply, dense_2: the shared one once */
    compile_mse(model);
    check_gradients(model, 4, 5);
    deep_model_free(model);
}
END_TEST

/* Two inputs, each through its own Dense, concatenated. */
START_TEST(two_inputs_pass_gradient_checks)
{
    deep_model *model = NULL;
    int32_t second;
    ASSERT_OK(deep_model_new(1, (int64_t[]){3}, &model));
    ASSERT_OK(deep_model_add_input(model, 2, (int64_t[]){2, 2}, &second));
    int32_t a = dense_on(model, 0, 3, DEEP_ACTIVATION_TANH);
    ASSERT_OK(deep_model_connect(model, &second, 1));
    ASSERT_OK(deep_model_add_flatten(model));
    int32_t b = dense_on(model, last(model), 2, DEEP_ACTIVATION_SIGMOID);
    ASSERT_OK(deep_model_connect(model, (int32_t[]){a, b}, 2));
    ASSERT_OK(deep_model_add_concatenate(model, -1));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    ck_assert_int_eq(model->in_size, 7);
    compile_mse(model);
    check_gradients(model, 3, 9);
    deep_model_free(model);
}
END_TEST

/* Two outputs with weighted losses, one of them sparse; the first output also feeds the
 * second, so its gradient is its loss's plus the second's through it. */
START_TEST(two_outputs_pass_gradient_checks)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){4}, &model));
    int32_t h = dense_on(model, 0, 3, DEEP_ACTIVATION_TANH);
    int32_t classes = dense_on(model, h, 3, DEEP_ACTIVATION_SOFTMAX);
    int32_t value = dense_on(model, classes, 2, DEEP_ACTIVATION_LINEAR);
    ASSERT_OK(deep_model_set_outputs(model, (int32_t[]){classes, value}, 2));
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    ASSERT_OK(deep_model_compile_outputs(model, sgd,
                                         (deep_loss[]){DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY,
                                                       DEEP_LOSS_MEAN_SQUARED_ERROR},
                                         (double[]){0.5, 2.0}, 2, metrics, 1));
    ck_assert_int_eq(deep_model_target_total(model), 3); /* a label, then two values */
    ck_assert(!deep_model_output_fuses(model, 0));       /* it feeds the second output */
    /* Finite differences need valid labels in column 0. */
    struct deep_rng rng;
    deep_rng_init(&rng, 4);
    int64_t batch = 4;
    float x[4 * 4], y[4 * 3];
    for (int i = 0; i < 16; i++)
        x[i] = 2.0f * deep_rng_float(&rng) - 1.0f;
    for (int b = 0; b < 4; b++) {
        y[b * 3] = (float)(b % 3);
        y[b * 3 + 1] = deep_rng_float(&rng);
        y[b * 3 + 2] = -deep_rng_float(&rng);
    }
    for (int64_t i = 0; i < model->weight_total; i++)
        model->weights[i] = 0.9f * (float)sin(1.3 * (double)i + 0.2);
    deep_workspace ws;
    ck_assert_int_eq(deep_workspace_init(model, batch, true, &ws), DEEP_OK);
    deep_exec ex = {0};
    deep_model_load_inputs(model, &ws, x, batch);
    memcpy(ws.targets, y, sizeof y);
    deep_model_forward(model, &ws, &ex, batch);
    deep_pass_stats stats = {0};
    deep_model_score_batch(model, &ws, batch, &stats, ws.grad_a);
    deep_model_backward(model, &ws, &ex, batch);
    float analytic[64];
    ck_assert_int_le(model->weight_total, 64);
    memcpy(analytic, model->grads, (size_t)model->weight_total * sizeof(float));
    for (int64_t i = 0; i < model->weight_total; i++) {
        float saved = model->weights[i];
        double l[2];
        for (int side = 0; side < 2; side++) {
            model->weights[i] = saved + (side ? -1e-2f : 1e-2f);
            deep_model_load_inputs(model, &ws, x, batch);
            memcpy(ws.targets, y, sizeof y);
            deep_model_forward(model, &ws, &ex, batch);
            deep_pass_stats s2 = {0};
            l[side] = deep_model_score_batch(model, &ws, batch, &s2, NULL);
        }
        model->weights[i] = saved;
        double numeric = (l[0] - l[1]) / 2e-2;
        ck_assert_msg(fabs(numeric - analytic[i]) <= 2e-3 + 2e-2 * fabs(numeric),
                      "weight %lld: backward gives %g, finite differences %g", (long long)i, (double)analytic[i],
                      numeric);
    }
    /* The total is the weighted sum of the outputs' losses, recorded in Keras' order. */
    double values[5];
    deep_pass_stats_means(model, &stats, values);
    ck_assert_int_eq(deep_model_stat_count(model), 5);
    ck_assert_double_eq_tol(values[0], 0.5 * values[1] + 2.0 * values[2], 1e-9);
    deep_workspace_release(model, &ws);
    deep_model_free(model);
}
END_TEST

/* ---- Sequential is the chain of the same engine ----------------------------------------- */

static deep_tensor *predict(const deep_model *model, const float *x, int64_t n, int64_t features)
{
    deep_tensor *in = NULL, *out = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (int64_t[]){n, features}, x, n * features, &in));
    ASSERT_OK(deep_model_predict(model, in, &out));
    deep_tensor_free(in);
    return out;
}

START_TEST(connected_chain_trains_as_sequential)
{
    float x[40 * 5], y[40];
    for (int i = 0; i < 40; i++) {
        y[i] = 0;
        for (int j = 0; j < 5; j++)
            y[i] += (x[i * 5 + j] = (float)sin(i * 5 + j)) * (float)(j - 2);
    }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(40, 1, (int64_t[]){5}, x, &data));
    ASSERT_OK(deep_dataset_set_targets(data, y, 40, 1));
    deep_model *models[2] = {NULL, NULL};
    for (int m = 0; m < 2; m++) {
        ASSERT_OK(deep_model_new(1, (int64_t[]){5}, &models[m]));
        if (m == 1) /* the same chain, each layer connected explicitly */
            ASSERT_OK(deep_model_connect(models[m], (int32_t[]){0}, 1));
        ASSERT_OK(deep_model_add_dense(models[m], 8, DEEP_ACTIVATION_RELU, 1));
        if (m == 1)
            ASSERT_OK(deep_model_connect(models[m], (int32_t[]){1}, 1));
        ASSERT_OK(deep_model_add_dense(models[m], 1, DEEP_ACTIVATION_LINEAR, 1));
        if (m == 1)
            ASSERT_OK(deep_model_set_outputs(models[m], (int32_t[]){2}, 1));
        compile_mse(models[m]);
        ASSERT_OK(deep_model_set_int(models[m], DEEP_MODEL_VERBOSE, 0));
        ASSERT_OK(deep_model_fit(models[m], data, 3, 8, NULL));
    }
    ck_assert_int_eq(models[0]->weight_total, models[1]->weight_total);
    ck_assert(memcmp(models[0]->weights, models[1]->weights, (size_t)models[0]->weight_total * sizeof(float)) == 0);
    for (int m = 0; m < 2; m++)
        deep_model_free(models[m]);
    deep_dataset_free(data);
}
END_TEST

/* ---- sub-models ------------------------------------------------------------------------- */

START_TEST(submodel_shares_weights)
{
    /* An autoencoder 6 -> 2 -> 6 and its encoder. */
    deep_model *ae = NULL, *encoder = NULL, *decoder = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){6}, &ae));
    ASSERT_OK(deep_model_add_dense(ae, 2, DEEP_ACTIVATION_TANH, 1));
    int32_t code = last(ae);
    ASSERT_OK(deep_model_add_dense(ae, 6, DEEP_ACTIVATION_LINEAR, 1));
    /* Cut before compile: the architecture only. */
    ASSERT_OK(deep_model_submodel(ae, (int32_t[]){0}, 1, &code, 1, &encoder));
    float x[6] = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};
    deep_tensor *in = NULL, *out = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (int64_t[]){1, 6}, x, 6, &in));
    ASSERT_FAILS_WITH(deep_model_predict(encoder, in, &out), DEEP_ERR_STATE, "deep_model_predict", "no weights");
    deep_model_free(encoder);

    compile_mse(ae);
    ASSERT_OK(deep_model_submodel(ae, (int32_t[]){0}, 1, &code, 1, &encoder));
    ASSERT_OK(deep_model_submodel(ae, &code, 1, (int32_t[]){2}, 1, &decoder));
    int64_t shape[DEEP_MAX_RANK], rank = 0;
    ASSERT_OK(deep_model_output_shape(encoder, shape, DEEP_MAX_RANK, &rank));
    ck_assert(rank == 1 && shape[0] == 2);
    ASSERT_OK(deep_model_input_shape(decoder, shape, DEEP_MAX_RANK, &rank));
    ck_assert(rank == 1 && shape[0] == 2);
    /* decoder(encoder(x)) is the autoencoder's prediction. */
    ASSERT_OK(deep_model_predict(encoder, in, &out));
    deep_tensor *whole = NULL, *decoded = NULL;
    ASSERT_OK(deep_model_predict(decoder, out, &decoded));
    ASSERT_OK(deep_model_predict(ae, in, &whole));
    for (int j = 0; j < 6; j++)
        ck_assert_float_eq_tol(decoded->data[j], whole->data[j], 1e-6f);
    /* Changing the autoencoder's weights changes the encoder's predictions. */
    float before = out->data[0];
    deep_tensor *kernel = NULL;
    ASSERT_OK(deep_model_get_weight(ae, 0, 0, &kernel));
    for (int64_t i = 0; i < 12; i++)
        kernel->data[i] += 0.5f;
    ASSERT_OK(deep_model_set_weight(ae, 0, 0, kernel));
    deep_tensor_free(out);
    ASSERT_OK(deep_model_predict(encoder, in, &out));
    ck_assert(out->data[0] != before);
    /* The encoder outlives the autoencoder: the weights are shared, not lent. */
    deep_model_free(ae);
    deep_tensor_free(out);
    ASSERT_OK(deep_model_predict(encoder, in, &out));
    /* Its graph is fixed; compiling it keeps the weights. */
    ASSERT_FAILS(deep_model_add_dense(encoder, 3, DEEP_ACTIVATION_LINEAR, 1), DEEP_ERR_STATE,
                 "deep_model_add_dense");
    deep_tensor *same = NULL;
    compile_mse(encoder);
    ASSERT_OK(deep_model_predict(encoder, in, &same));
    ck_assert(memcmp(same->data, out->data, 2 * sizeof(float)) == 0);
    deep_tensor_free(same);
    deep_tensor_free(kernel);
    deep_tensor_free(out);
    deep_tensor_free(whole);
    deep_tensor_free(decoded);
    deep_tensor_free(in);
    deep_model_free(encoder);
    deep_model_free(decoder);
}
END_TEST

/* copy_weights into a sub-model writes its layers' places in the shared block, and only those. */
START_TEST(copy_weights_into_a_submodel)
{
    deep_model *ae = NULL, *decoder = NULL, *other = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){4}, &ae));
    ASSERT_OK(deep_model_add_dense(ae, 2, DEEP_ACTIVATION_TANH, 1));
    int32_t code = last(ae);
    ASSERT_OK(deep_model_add_dense(ae, 4, DEEP_ACTIVATION_LINEAR, 1));
    compile_mse(ae);
    ASSERT_OK(deep_model_submodel(ae, &code, 1, (int32_t[]){2}, 1, &decoder));
    compile_mse(decoder); /* keeps the shared weights */
    ASSERT_OK(deep_model_clone(decoder, &other));
    ASSERT_OK(deep_model_set_seed(other, 99));
    compile_mse(other);
    float encoder_kernel[8];
    memcpy(encoder_kernel, ae->layers[0]->params[0].value, sizeof encoder_kernel);
    ASSERT_OK(deep_model_copy_weights(decoder, other));
    /* The autoencoder's second layer is the other model's now; its first is untouched. */
    ck_assert(memcmp(ae->layers[1]->params[0].value, other->layers[0]->params[0].value, 8 * sizeof(float)) == 0);
    ck_assert(memcmp(ae->layers[0]->params[0].value, encoder_kernel, sizeof encoder_kernel) == 0);
    deep_model_free(other);
    deep_model_free(decoder);
    deep_model_free(ae);
}
END_TEST

/* One output with a loss weight: the loss (and its gradient) scaled, kept in the file. */
START_TEST(one_output_loss_weight)
{
    float x[8] = {0.1f, 0.2f, -0.3f, 0.4f, 0.5f, -0.6f, 0.7f, 0.8f}, y[4] = {1, 0, 1, 0};
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(4, 1, (int64_t[]){2}, x, &data));
    ASSERT_OK(deep_dataset_set_targets(data, y, 4, 1));
    double losses[2];
    deep_model *loaded = NULL;
    for (int w = 0; w < 2; w++) {
        deep_model *m = NULL;
        deep_optimizer *sgd = NULL;
        ASSERT_OK(deep_model_new(1, (int64_t[]){2}, &m));
        ASSERT_OK(deep_model_add_dense(m, 1, DEEP_ACTIVATION_SIGMOID, 1));
        ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
        ASSERT_OK(deep_model_compile_outputs(m, sgd, (deep_loss[]){DEEP_LOSS_BINARY_CROSSENTROPY},
                                             (double[]){w ? 2.5 : 1.0}, 1, NULL, 0));
        int64_t needed = 0;
        ASSERT_OK(deep_model_evaluate(m, data, 4, &losses[w], 1, &needed));
        if (w == 1) {
            int64_t size = 0;
            ASSERT_OK(deep_model_save_buffer(m, NULL, 0, &size));
            uint8_t *bytes = malloc((size_t)size);
            ASSERT_OK(deep_model_save_buffer(m, bytes, size, &size));
            ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
            ck_assert_double_eq(loaded->loss_weights[0], 2.5);
            free(bytes);
        }
        deep_model_free(m);
    }
    ck_assert_double_eq_tol(losses[1], 2.5 * losses[0], 1e-6);
    deep_model_free(loaded);
    deep_dataset_free(data);
}
END_TEST

/* ---- errors ------------------------------------------------------------------------------ */

START_TEST(graph_misuse)
{
    deep_model *model = NULL, *sub = NULL;
    int32_t node = 0, second;
    ASSERT_FAILS(deep_model_add_input(NULL, 1, (int64_t[]){2}, &node), DEEP_ERR_NULL, "deep_model_add_input");
    ck_assert_int_eq(node, -1);
    ASSERT_FAILS(deep_model_connect(NULL, &node, 1), DEEP_ERR_NULL, "deep_model_connect");
    ASSERT_FAILS(deep_model_last_node(NULL, &node), DEEP_ERR_NULL, "deep_model_last_node");
    ASSERT_FAILS(deep_model_apply_layer(NULL, 0, &node, 1, &node), DEEP_ERR_NULL, "deep_model_apply_layer");
    ASSERT_FAILS(deep_model_set_outputs(NULL, &node, 1), DEEP_ERR_NULL, "deep_model_set_outputs");
    ASSERT_FAILS(deep_model_node_count(NULL, &node), DEEP_ERR_NULL, "deep_model_node_count");
    ASSERT_FAILS(deep_model_node_layer(NULL, 0, &node), DEEP_ERR_NULL, "deep_model_node_layer");
    ASSERT_FAILS(deep_model_submodel(NULL, &node, 1, &node, 1, &sub), DEEP_ERR_NULL, "deep_model_submodel");
    ASSERT_FAILS(deep_model_history_output(NULL, 0, 0, DEEP_METRIC_LOSS, 0, &(double){0}), DEEP_ERR_NULL,
                 "deep_model_history_output");
    ASSERT_OK(deep_model_new(1, (int64_t[]){4}, &model));
    ASSERT_FAILS(deep_model_add_input(model, 1, NULL, &node), DEEP_ERR_NULL, "deep_model_add_input");
    ASSERT_FAILS(deep_model_node_count(model, NULL), DEEP_ERR_NULL, "deep_model_node_count");
    ASSERT_FAILS(deep_model_node_layer(model, 0, NULL), DEEP_ERR_NULL, "deep_model_node_layer");
    ASSERT_FAILS(deep_model_node_layer(model, 1, &node), DEEP_ERR_OUT_OF_RANGE, "deep_model_node_layer");
    ASSERT_FAILS(deep_model_node_shape(model, -1, NULL, 0, &(int64_t){0}), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_node_shape");
    ASSERT_FAILS(deep_model_node_inputs(model, 7, NULL, 0, &(int64_t){0}), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_node_inputs");
    ASSERT_OK(deep_model_node_layer(model, 0, &node));
    ck_assert_int_eq(node, -1); /* an input */
    ASSERT_FAILS(deep_model_submodel(model, NULL, 1, &node, 1, &sub), DEEP_ERR_NULL, "deep_model_submodel");
    ASSERT_FAILS(deep_model_submodel(model, (int32_t[]){0}, 1, (int32_t[]){0}, 1, &sub), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_submodel");
    ASSERT_FAILS(deep_model_submodel(model, (int32_t[]){0}, 0, (int32_t[]){0}, 1, &sub), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_submodel");
    ASSERT_FAILS(deep_model_history_output(model, 0, 0, DEEP_METRIC_LOSS, 0, &(double){0}), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_history_output");
    ASSERT_FAILS(deep_model_add_input(model, 1, (int64_t[]){0}, &node), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_add_input");
    ASSERT_FAILS(deep_model_connect(model, NULL, 1), DEEP_ERR_NULL, "deep_model_connect");
    ASSERT_FAILS(deep_model_connect(model, &node, 0), DEEP_ERR_INVALID_ARGUMENT, "deep_model_connect");
    ASSERT_FAILS(deep_model_connect(model, (int32_t[]){3}, 1), DEEP_ERR_OUT_OF_RANGE, "deep_model_connect");
    ASSERT_FAILS(deep_model_connect(model, (int32_t[]){-1}, 1), DEEP_ERR_OUT_OF_RANGE, "deep_model_connect");
    /* A merge layer on one node; a Dense on two. */
    ASSERT_FAILS_WITH(deep_model_add_add(model), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_add", "2 or more");
    ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){3}, &second));
    ASSERT_OK(deep_model_connect(model, (int32_t[]){0, second}, 2));
    ASSERT_FAILS_WITH(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_add_dense", "takes one input");
    /* Mismatched shapes: (4,) and (3,); the failed add keeps the connection. */
    ASSERT_FAILS_WITH(deep_model_add_add(model), DEEP_ERR_SHAPE, "deep_model_add_add", "(4,)");
    ASSERT_FAILS_WITH(deep_model_add_subtract(model), DEEP_ERR_SHAPE, "deep_model_add_subtract", "(3,)");
    ASSERT_OK(deep_model_add_concatenate(model, -1)); /* (7,) */
    ASSERT_FAILS_WITH(deep_model_connect(model, (int32_t[]){0, 1, 2}, 3) == DEEP_OK
                          ? deep_model_add_concatenate(model, 0)
                          : DEEP_ERR_STATE,
                      DEEP_ERR_SHAPE, "deep_model_add_concatenate", "axis 0");
    ASSERT_OK(deep_model_connect(model, (int32_t[]){2}, 1));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1)); /* node 3 */
    /* A shared layer takes the shapes of its first call. */
    ASSERT_FAILS_WITH(deep_model_apply_layer(model, 1, (int32_t[]){0}, 1, &node), DEEP_ERR_SHAPE,
                      "deep_model_apply_layer", "shared layer");
    ASSERT_FAILS(deep_model_apply_layer(model, 5, (int32_t[]){0}, 1, &node), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_apply_layer");
    ASSERT_FAILS(deep_model_set_outputs(model, (int32_t[]){1}, 1), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_outputs");
    /* A dangling input: node 4 is not used by the output. */
    int32_t dangling;
    ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){2}, &dangling));
    ASSERT_OK(deep_model_set_outputs(model, (int32_t[]){3}, 1));
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_FAILS_WITH(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_compile", "input node 4 is dangling");
    /* Sub-models: an output not reachable from the given inputs; a dangling input. */
    ASSERT_FAILS_WITH(deep_model_submodel(model, (int32_t[]){0}, 1, (int32_t[]){3}, 1, &sub),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_submodel", "need input node 1");
    ASSERT_FAILS_WITH(deep_model_submodel(model, (int32_t[]){0, 1, 4}, 3, (int32_t[]){3}, 1, &sub),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_submodel", "dangling");
    ck_assert_ptr_null(sub);
    ASSERT_OK(deep_model_submodel(model, (int32_t[]){2}, 1, (int32_t[]){3}, 1, &sub));
    deep_model_free(sub);
    /* Several outputs: one loss each. */
    ASSERT_OK(deep_model_set_outputs(model, (int32_t[]){2, 3}, 2));
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_FAILS_WITH(deep_model_compile_outputs(model, sgd, (deep_loss[]){DEEP_LOSS_MEAN_SQUARED_ERROR}, NULL, 1,
                                                 NULL, 0),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_compile_outputs", "2 outputs");
    deep_model *two = NULL; /* without the dangling input */
    ASSERT_OK(deep_model_new(1, (int64_t[]){4}, &two));
    int32_t p = dense_on(two, 0, 2, DEEP_ACTIVATION_LINEAR), q = dense_on(two, 0, 2, DEEP_ACTIVATION_LINEAR);
    ASSERT_OK(deep_model_set_outputs(two, (int32_t[]){p, q}, 2));
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_FAILS_WITH(deep_model_compile_outputs(two, sgd, (deep_loss[]){1, 1}, (double[]){1, -1}, 2, NULL, 0),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_compile_outputs", "loss weight -1 of output 1 (dense_1)");
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_FAILS_WITH(deep_model_compile_outputs(two, sgd, (deep_loss[]){1, 99}, NULL, 2, NULL, 0),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_compile_outputs", "unknown loss 99 of output 1");
    deep_model_free(two);
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_FAILS(deep_model_compile_outputs(model, sgd, NULL, NULL, 2, NULL, 0), DEEP_ERR_NULL,
                 "deep_model_compile_outputs");
    deep_model_free(model);
}
END_TEST

/* ---- files -------------------------------------------------------------------------------- */

START_TEST(graphs_save_and_load)
{
    /* Two inputs, a shared Dense, a residual Add; predictions equal after loading, and the
     * loaded model saves to the same bytes. */
    deep_model *model = NULL, *loaded = NULL;
    int32_t second;
    ASSERT_OK(deep_model_new(1, (int64_t[]){3}, &model));
    ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){3}, &second));
    int32_t a = dense_on(model, 0, 3, DEEP_ACTIVATION_TANH), b;
    ASSERT_OK(deep_model_apply_layer(model, 0, &second, 1, &b));
    ASSERT_OK(deep_model_connect(model, (int32_t[]){a, b, 0}, 3));
    ASSERT_OK(deep_model_add_add(model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    compile_mse(model);
    int64_t size = 0, again = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    uint8_t *bytes = malloc((size_t)size), *bytes2 = NULL;
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    ck_assert_int_eq(loaded->node_count, model->node_count);
    ck_assert_int_eq(loaded->input_count, 2);
    float x[2 * 6];
    for (int i = 0; i < 12; i++)
        x[i] = (float)cos(i);
    deep_tensor *p = predict(model, x, 2, 6), *q = predict(loaded, x, 2, 6);
    ck_assert(memcmp(p->data, q->data, 4 * sizeof(float)) == 0);
    ASSERT_OK(deep_model_save_buffer(loaded, NULL, 0, &again));
    ck_assert_int_eq(again, size);
    bytes2 = malloc((size_t)again);
    ASSERT_OK(deep_model_save_buffer(loaded, bytes2, again, &again));
    ck_assert(memcmp(bytes, bytes2, (size_t)size) == 0);
    /* The summary's "Connected to" column names the inbound layers. */
    char summary[4096];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(loaded, summary, sizeof summary, &needed));
    ck_assert_msg(strstr(summary, "Connected to") != NULL && strstr(summary, "dense[1][0]") != NULL, "%s",
                  summary);
    deep_tensor_free(p);
    deep_tensor_free(q);
    free(bytes);
    free(bytes2);
    deep_model_free(model);
    deep_model_free(loaded);
}
END_TEST

/* Two inputs and two outputs (a class and a value), through fit, evaluate, history,
 * predict, train_on_batch and a model file. */
START_TEST(two_inputs_two_outputs_train)
{
    enum { N = 64 };
    float x[N * 5], y[N * 2];
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 5; j++)
            x[i * 5 + j] = (float)sin(i * 5 + j + 1);
        y[i * 2] = x[i * 5] + x[i * 5 + 3] > 0; /* the class from both inputs */
        y[i * 2 + 1] = x[i * 5 + 1] - x[i * 5 + 4];
    }
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(N, 1, (int64_t[]){5}, x, &data));
    ASSERT_OK(deep_dataset_set_targets(data, y, N, 2));
    deep_model *model = NULL, *loaded = NULL;
    int32_t second;
    ASSERT_OK(deep_model_new(1, (int64_t[]){3}, &model));
    ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){2}, &second));
    int32_t a = dense_on(model, 0, 8, DEEP_ACTIVATION_TANH), b = dense_on(model, second, 8, DEEP_ACTIVATION_TANH);
    ASSERT_OK(deep_model_connect(model, (int32_t[]){a, b}, 2));
    ASSERT_OK(deep_model_add_concatenate(model, -1));
    int32_t joined = last(model);
    int32_t classes = dense_on(model, joined, 2, DEEP_ACTIVATION_SOFTMAX);
    int32_t value = dense_on(model, joined, 1, DEEP_ACTIVATION_LINEAR);
    ASSERT_OK(deep_model_set_outputs(model, (int32_t[]){classes, value}, 2));
    deep_optimizer *adam = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    ASSERT_OK(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, 0.02));
    const deep_metric metrics[] = {DEEP_METRIC_ACCURACY, DEEP_METRIC_MEAN_ABSOLUTE_ERROR};
    ASSERT_OK(deep_model_set_seed(model, 1));
    ASSERT_OK(deep_model_compile_outputs(
        model, adam, (deep_loss[]){DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, DEEP_LOSS_MEAN_SQUARED_ERROR},
        (double[]){1.0, 0.5}, 2, metrics, 2));
    ASSERT_OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_fit(model, data, 40, 16, NULL));
    double first_loss, last_loss, class_loss, accuracy;
    ASSERT_OK(deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, &first_loss));
    ASSERT_OK(deep_model_history(model, 39, DEEP_METRIC_LOSS, 0, &last_loss));
    ASSERT_OK(deep_model_history_output(model, 39, 0, DEEP_METRIC_LOSS, 0, &class_loss));
    ASSERT_OK(deep_model_history_output(model, 39, 0, DEEP_METRIC_ACCURACY, 0, &accuracy));
    ck_assert_msg(last_loss < 0.5 * first_loss, "loss %g -> %g", first_loss, last_loss);
    ck_assert_msg(accuracy > 0.85, "accuracy %g", accuracy);
    ASSERT_FAILS(deep_model_history_output(model, 0, 2, DEEP_METRIC_LOSS, 0, &accuracy), DEEP_ERR_OUT_OF_RANGE,
                 "deep_model_history_output");
    /* evaluate: total, two losses, then accuracy and MAE of each output. */
    double values[7];
    int64_t needed = 0;
    ASSERT_OK(deep_model_evaluate(model, data, 64, values, 7, &needed));
    ck_assert_int_eq(needed, 7);
    ck_assert_double_eq_tol(values[0], values[1] + 0.5 * values[2], 1e-6);
    ck_assert_double_eq_tol(values[1], class_loss, 0.2);
    /* predict: each sample's class probabilities, then its value. */
    deep_tensor *p = predict(model, x, N, 5);
    ck_assert_int_eq(p->rank, 2);
    ck_assert_int_eq(p->shape[1], 3);
    ck_assert_float_eq_tol(p->data[0] + p->data[1], 1.0f, 1e-5f);
    /* The model file keeps both losses and weights. */
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    uint8_t *bytes = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    ck_assert_int_eq(loaded->losses[0], DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    ck_assert_double_eq(loaded->loss_weights[1], 0.5);
    double again[7];
    ASSERT_OK(deep_model_evaluate(loaded, data, 64, again, 7, &needed));
    for (int i = 0; i < 7; i++)
        ck_assert_double_eq_tol(again[i], values[i], 1e-9);
    /* train_on_batch takes y of width 2 (a label, a value) and checks the labels. */
    deep_tensor *xs = NULL, *ys = NULL, *bad = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (int64_t[]){2, 5}, x, 10, &xs));
    ASSERT_OK(deep_tensor_new_from(2, (int64_t[]){2, 3}, (float[]){0, 1, 2, 1, 1, 1}, 6, &ys));
    ASSERT_FAILS_WITH(deep_model_train_on_batch(loaded, xs, ys, values, 7, &needed), DEEP_ERR_SHAPE,
                      "deep_model_train_on_batch", "(2, 2)");
    ASSERT_OK(deep_tensor_new_from(2, (int64_t[]){2, 2}, (float[]){0, 1, 2, 1}, 4, &bad));
    ASSERT_FAILS_WITH(deep_model_train_on_batch(loaded, xs, bad, values, 7, &needed), DEEP_ERR_OUT_OF_RANGE,
                      "deep_model_train_on_batch", "sample 1");
    deep_tensor_free(xs);
    deep_tensor_free(ys);
    deep_tensor_free(bad);
    deep_tensor_free(p);
    free(bytes);
    deep_model_free(loaded);
    deep_model_free(model);
    deep_dataset_free(data);
}
END_TEST

static Suite *graph_suite(void)
{
    Suite *s = suite_create("graph");
    TCase *gradients = tcase_create("gradients");
    tcase_add_loop_test(gradients, merge_layers_pass_gradient_checks, 0, COUNT_OF(merges));
    tcase_add_test(gradients, fan_out_and_shared_layers_sum_gradients);
    tcase_add_test(gradients, two_inputs_pass_gradient_checks);
    tcase_add_test(gradients, two_outputs_pass_gradient_checks);
    tcase_set_timeout(gradients, 120);
    suite_add_tcase(s, gradients);
    TCase *models = tcase_create("models");
    tcase_add_test(models, connected_chain_trains_as_sequential);
    tcase_add_test(models, submodel_shares_weights);
    tcase_add_test(models, copy_weights_into_a_submodel);
    tcase_add_test(models, one_output_loss_weight);
    tcase_add_test(models, graph_misuse);
    tcase_add_test(models, graphs_save_and_load);
    tcase_add_test(models, two_inputs_two_outputs_train);
    tcase_set_timeout(models, 120);
    suite_add_tcase(s, models);
    return s;
}

int main(void)
{
    return run_suite(graph_suite(), CK_NORMAL);
}
