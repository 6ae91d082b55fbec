/* The element-wise merge layers in graphs, as Keras 3's: shapes broadcast (values against
 * NumPy's rule, finite-difference gradient checks through broadcast inputs, build-time
 * errors naming both shapes, model files), and masks carried through merges (a padded
 * batch predicts and trains as the unpadded one; Keras' value rules for masked Multiply and
 * Maximum; the masks a merge cannot combine). */
#include <math.h>

#include "check_helpers.h"
#include "graph/model.h"
#include "layers/merge.h"
#include "tensor/tensor.h"

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

static deep_tensor *predict(const deep_model *model, const float *x, int64_t n, int64_t features)
{
    deep_tensor *in = NULL, *out = NULL;
    ASSERT_OK(deep_tensor_new_from(2, (int64_t[]){n, features}, x, n * features, &in));
    ASSERT_OK(deep_model_predict(model, in, &out));
    deep_tensor_free(in);
    return out;
}

typedef deep_status (*merge_fn)(deep_model *);
static deep_status concatenate_last(deep_model *m) { return deep_model_add_concatenate(m, -1); }
static deep_status concatenate_steps(deep_model *m) { return deep_model_add_concatenate(m, 1); }
static const struct {
    const char *name;
    merge_fn add;
} elementwise[] = {
    {"add", deep_model_add_add},         {"subtract", deep_model_add_subtract}, {"multiply", deep_model_add_multiply},
    {"average", deep_model_add_average}, {"maximum", deep_model_add_maximum},   {"minimum", deep_model_add_minimum},
};

/* ---- broadcasting ------------------------------------------------------------------------ */

/* Inputs (2, 3) and (3,): branches (2, 4), (4,) and (2, 1) merged to (2, 4), a Dense after. */
static deep_model *broadcast_model(int32_t op)
{
    deep_model *model = NULL;
    int32_t second;
    ASSERT_OK(deep_model_new(2, (int64_t[]){2, 3}, &model));
    ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){3}, &second));
    int32_t a = dense_on(model, 0, 4, DEEP_ACTIVATION_TANH);
    int32_t b = dense_on(model, second, 4, DEEP_ACTIVATION_LINEAR);
    int32_t c = dense_on(model, 0, 1, DEEP_ACTIVATION_LINEAR);
    if (elementwise[op].add == deep_model_add_subtract)
        ASSERT_OK(deep_model_connect(model, (int32_t[]){b, c}, 2)); /* both broadcast */
    else
        ASSERT_OK(deep_model_connect(model, (int32_t[]){a, b, c}, 3));
    ASSERT_OK(elementwise[op].add(model));
    int64_t shape[4], needed = 0;
    ASSERT_OK(deep_model_node_shape(model, last(model), shape, 4, &needed));
    ck_assert_int_eq(needed, 2);
    ck_assert(shape[0] == 2 && shape[1] == 4);
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    compile_mse(model);
    return model;
}

START_TEST(broadcast_merges_pass_gradient_checks)
{
    deep_model *model = broadcast_model(_i);
    check_gradients(model, 3, 21 + (uint64_t)_i);
    deep_model_free(model);
}
END_TEST

/* Inputs (2, 1, 3) and (4, 1) give (2, 4, 3), each value NumPy's a + b, max(a, b). */
START_TEST(broadcast_values_as_numpy)
{
    for (int32_t op = 0; op < 2; op++) {
        deep_model *model = NULL;
        int32_t second;
        ASSERT_OK(deep_model_new(3, (int64_t[]){2, 1, 3}, &model));
        ASSERT_OK(deep_model_add_input(model, 2, (int64_t[]){4, 1}, &second));
        ASSERT_OK(deep_model_connect(model, (int32_t[]){0, second}, 2));
        ASSERT_OK(op == 0 ? deep_model_add_add(model) : deep_model_add_maximum(model));
        compile_mse(model);
        float x[2 * 10];
        for (int i = 0; i < 20; i++)
            x[i] = (float)sin(0.7 * i + 0.1);
        deep_tensor *p = predict(model, x, 2, 10);
        ck_assert_int_eq(p->rank, 4);
        ck_assert(p->shape[1] == 2 && p->shape[2] == 4 && p->shape[3] == 3);
        for (int s = 0; s < 2; s++)
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 4; j++)
                    for (int k = 0; k < 3; k++) {
                        float a = x[s * 10 + i * 3 + k], b = x[s * 10 + 6 + j];
                        float want = op == 0 ? a + b : fmaxf(a, b);
                        ck_assert_float_eq(p->data[s * 24 + (i * 4 + j) * 3 + k], want);
                    }
        deep_tensor_free(p);
        deep_model_free(model);
    }
}
END_TEST

START_TEST(broadcast_shape_errors_name_both_shapes)
{
    deep_model *model = NULL;
    int32_t second, third;
    ASSERT_OK(deep_model_new(2, (int64_t[]){2, 4}, &model));
    ASSERT_OK(deep_model_add_input(model, 1, (int64_t[]){3}, &second));
    ASSERT_OK(deep_model_add_input(model, 2, (int64_t[]){1, 4}, &third));
    ASSERT_OK(deep_model_connect(model, (int32_t[]){0, second}, 2));
    ASSERT_FAILS_WITH(deep_model_add_add(model), DEEP_ERR_SHAPE, "deep_model_add_add",
                      "Add cannot broadcast input 0 of shape (2, 4) with input 1 of shape (3,)");
    /* The third input folds into the shape of the two before it. */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){0, third, second}, 3));
    ASSERT_FAILS_WITH(deep_model_add_multiply(model), DEEP_ERR_SHAPE, "deep_model_add_multiply",
                      "the inputs before of shape (2, 4) with input 2 of shape (3,)");
    /* Subtract still takes exactly two inputs. */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){0, third, third}, 3));
    ASSERT_FAILS_WITH(deep_model_add_subtract(model), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_subtract",
                      "exactly 2 inputs");
    /* A shared merge layer takes the shapes of its first call. */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){0, third}, 2));
    ASSERT_OK(deep_model_add_add(model));
    int32_t node;
    ASSERT_FAILS_WITH(deep_model_apply_layer(model, -1, (int32_t[]){third, 0}, 2, &node), DEEP_ERR_SHAPE,
                      "deep_model_apply_layer", "was built for input 0 of shape (2, 4)");
    deep_model_free(model);
}
END_TEST

START_TEST(broadcast_graph_saves_and_loads)
{
    deep_model *model = broadcast_model(2), *loaded = NULL; /* multiply */
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    uint8_t *bytes = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    float x[3 * 9];
    for (int i = 0; i < 27; i++)
        x[i] = (float)cos(1.3 * i);
    deep_tensor *p = predict(model, x, 3, 9), *q = predict(loaded, x, 3, 9);
    ck_assert_int_eq(p->shape[1], 2);
    ck_assert(memcmp(p->data, q->data, 6 * sizeof(float)) == 0);
    deep_tensor_free(p);
    deep_tensor_free(q);
    free(bytes);
    deep_model_free(model);
    deep_model_free(loaded);
}
END_TEST

/* ---- masks ------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    merge_fn add;
} masked_merges[] = {
    {"add", deep_model_add_add},         {"multiply", deep_model_add_multiply}, {"maximum", deep_model_add_maximum},
    {"average", deep_model_add_average}, {"concatenate -1", concatenate_last},  {"concatenate 1", concatenate_steps},
};

/* Ids (steps,) -> Embedding(10, 4, mask_zero) -> two LSTM(3, return_sequences) branches ->
 * the merge -> LSTM(2). */
static deep_model *masked_model(int64_t steps, int32_t merge)
{
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){steps}, &model));
    ASSERT_OK(deep_model_add_embedding(model, 10, 4, 0));
    ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, 1));
    int32_t embedded = last(model), branches[2];
    for (int k = 0; k < 2; k++) {
        ASSERT_OK(deep_model_connect(model, &embedded, 1));
        ASSERT_OK(deep_model_add_lstm(model, 3, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
        branches[k] = last(model);
    }
    ASSERT_OK(deep_model_connect(model, branches, 2));
    ASSERT_OK(masked_merges[merge].add(model));
    ASSERT_OK(deep_model_add_lstm(model, 2, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    compile_mse(model);
    return model;
}

/* Two sequences of 4 ids, padded after and before to 6, predict what the unpadded ones
 * do, and the padded batch passes a gradient check. */
START_TEST(masked_branches_merge_as_unpadded)
{
    deep_model *padded = masked_model(6, _i), *plain = masked_model(4, _i);
    for (int64_t i = 0; i < padded->weight_total; i++) /* outputs far from 0 */
        padded->weights[i] = 0.9f * (float)sin(1.7 * (double)i + 0.3);
    ASSERT_OK(deep_model_copy_weights(plain, padded));
    const float ids[] = {3, 5, 2, 7, 0, 0, 0, 0, 1, 9, 4, 8};
    const float unpadded[] = {3, 5, 2, 7, 1, 9, 4, 8};
    deep_tensor *p = predict(padded, ids, 2, 6), *q = predict(plain, unpadded, 2, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(fabsf(p->data[i] - q->data[i]) < 1e-5f && fabsf(q->data[i]) > 1e-2f, "%s: value %d is %g padded, %g unpadded",
                      masked_merges[_i].name, i, (double)p->data[i], (double)q->data[i]);
    /* Its file loads into the same graph, masks included. */
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(padded, NULL, 0, &size));
    uint8_t *bytes = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(padded, bytes, size, &size));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    deep_tensor *r = predict(loaded, ids, 2, 6);
    ck_assert(memcmp(p->data, r->data, 4 * sizeof(float)) == 0);
    check_gradients_on(padded, 2, 5, ids);
    deep_tensor_free(r);
    deep_model_free(loaded);
    free(bytes);
    deep_tensor_free(p);
    deep_tensor_free(q);
    deep_model_free(padded);
    deep_model_free(plain);
}
END_TEST

/* Keras 3's values where masks differ: Multiply takes a masked-out step as 1 (0 where all
 * are), Maximum the largest of the inputs not masked out (input 0's where none is). */
START_TEST(masked_values_as_keras)
{
    deep_layer layer;
    memset(&layer, 0, sizeof layer);
    layer.input_count = 2;
    for (int k = 0; k < 2; k++) {
        layer.in_ranks[k] = 2;
        layer.in_shapes[k][0] = 3;
        layer.in_shapes[k][1] = 1;
        layer.in_sizes[k] = 3;
    }
    layer.in_rank = 2;
    memcpy(layer.in_shape, layer.in_shapes[0], sizeof layer.in_shape);
    layer.in_size = 3;
    const float a[] = {2, 3, 4}, b[] = {5, -6, 7};
    const uint8_t ma[] = {1, 0, 0}, mb[] = {1, 1, 0};
    const float *in[] = {a, b};
    const uint8_t *masks[] = {ma, mb};
    deep_exec ex = {.input_masks = masks};
    float out[3], g0[3], g1[3];
    float *grads[] = {g0, g1};
    const float ones[] = {1, 1, 1};
    for (int op = 0; op < 2; op++) {
        layer.ops = op == 0 ? &deep_multiply_ops : &deep_maximum_ops;
        ASSERT_OK(deep_merge_build(&layer));
        layer.out_size = 3;
        deep_merge_op which = op == 0 ? DEEP_MERGE_OP_MULTIPLY : DEEP_MERGE_OP_MAXIMUM;
        deep_merge_forward(&layer, &ex, in, out, 1, which);
        deep_merge_backward(&layer, &ex, in, out, ones, grads, 1, which);
        const float want[2][3] = {{10, -6, 0}, {5, -6, 4}};
        const float want0[2][3] = {{5, 0, 0}, {0, 0, 1}}, want1[2][3] = {{2, 1, 0}, {1, 1, 0}};
        for (int i = 0; i < 3; i++) {
            ck_assert_float_eq(out[i], want[op][i]);
            ck_assert_float_eq(g0[i], want0[op][i]);
            ck_assert_float_eq(g1[i], want1[op][i]);
        }
    }
    uint8_t merged[3];
    deep_merge_masks(&layer, masks, merged, 1);
    ck_assert(merged[0] == 1 && merged[1] == 1 && merged[2] == 0);
}
END_TEST

START_TEST(merge_mask_rules)
{
    deep_model *model = NULL;
    int32_t plain_input, deep_input;
    ASSERT_OK(deep_model_new(1, (int64_t[]){4}, &model));
    ASSERT_OK(deep_model_add_input(model, 2, (int64_t[]){4, 3}, &plain_input));
    ASSERT_OK(deep_model_add_input(model, 3, (int64_t[]){2, 4, 3}, &deep_input));
    int32_t ids = 0;
    ASSERT_OK(deep_model_connect(model, &ids, 1));
    ASSERT_OK(deep_model_add_embedding(model, 10, 3, 0));
    ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, 1));
    int32_t embedded = last(model), node;
    /* Add of a masked and an unmasked input has no mask (Keras: any None gives None). */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){embedded, plain_input}, 2));
    ASSERT_OK(deep_model_add_add(model));
    ASSERT_OK(deep_model_add_flatten(model));
    /* Two masked ones have one: Flatten refuses it, naming the Embedding. */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){embedded, embedded}, 2));
    ASSERT_OK(deep_model_add_add(model));
    ASSERT_FAILS_WITH(deep_model_add_flatten(model), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_flatten",
                      "Flatten does not take masked inputs, and layer 0 (embedding)");
    /* Concatenate keeps the mask of any masked input. */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){embedded, plain_input}, 2));
    ASSERT_OK(deep_model_add_concatenate(model, -1));
    ASSERT_FAILS_WITH(deep_model_add_flatten(model), DEEP_ERR_INVALID_ARGUMENT, "deep_model_add_flatten",
                      "does not take masked inputs");
    /* A masked input cannot be broadcast along new leading axes: its mask covers the steps. */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){embedded, deep_input}, 2));
    ASSERT_FAILS_WITH(deep_model_add_maximum(model), DEEP_ERR_SHAPE, "deep_model_add_maximum",
                      "input 0 of shape (4, 3) has a mask over its 4 steps");
    /* Nor when a shared merge layer is applied again. */
    ASSERT_OK(deep_model_connect(model, (int32_t[]){plain_input, deep_input}, 2));
    ASSERT_OK(deep_model_add_maximum(model));
    ASSERT_FAILS_WITH(deep_model_apply_layer(model, -1, (int32_t[]){embedded, deep_input}, 2, &node), DEEP_ERR_SHAPE,
                      "deep_model_apply_layer", "has a mask over its 4 steps");
    /* Turning mask_zero off and on again: the Flatten after the mixed Add stays valid. */
    ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, 0));
    ASSERT_OK(deep_model_set_layer_int(model, 0, DEEP_LAYER_MASK_ZERO, 1));
    deep_model_free(model);
}
END_TEST

static Suite *graph_merge_suite(void)
{
    Suite *s = suite_create("graph_merge");
    TCase *broadcast = tcase_create("broadcast");
    tcase_add_loop_test(broadcast, broadcast_merges_pass_gradient_checks, 0, COUNT_OF(elementwise));
    tcase_add_test(broadcast, broadcast_values_as_numpy);
    tcase_add_test(broadcast, broadcast_shape_errors_name_both_shapes);
    tcase_add_test(broadcast, broadcast_graph_saves_and_loads);
    tcase_set_timeout(broadcast, 120);
    suite_add_tcase(s, broadcast);
    TCase *masks = tcase_create("masks");
    tcase_add_loop_test(masks, masked_branches_merge_as_unpadded, 0, COUNT_OF(masked_merges));
    tcase_add_test(masks, masked_values_as_keras);
    tcase_add_test(masks, merge_mask_rules);
    tcase_set_timeout(masks, 120);
    suite_add_tcase(s, masks);
    return s;
}

int main(void)
{
    return run_suite(graph_merge_suite(), CK_NORMAL);
}
