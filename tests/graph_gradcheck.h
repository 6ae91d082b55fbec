/* Finite differences through the whole executor, shared by the graph tests (test_graph.c,
 * test_graph_merge.c). Include after check_helpers.h and graph/model.h. */
#ifndef LIBDEEP_TESTS_GRAPH_GRADCHECK_H
#define LIBDEEP_TESTS_GRAPH_GRADCHECK_H

#include <math.h>

/* The model's mean batch loss on x (batch rows) and targets y, after a forward pass. */
static double batch_loss(deep_model *model, deep_workspace *ws, const float *x, const float *y, int64_t batch)
{
    deep_exec ex = {0};
    deep_model_load_inputs(model, ws, x, batch);
    memcpy(ws->targets, y, (size_t)(batch * model->nodes[deep_model_output_node(model)].size) * sizeof(float));
    deep_model_forward(model, ws, &ex, batch);
    deep_pass_stats stats = {0};
    return deep_model_score_batch(model, ws, batch, &stats, NULL);
}

/* Compares backward's gradient of every weight with central differences of the loss, on
 * inputs x (batch rows; NULL: random ones in [-1, 1]). */
static void check_gradients_on(deep_model *model, int64_t batch, uint64_t seed, const float *given)
{
    struct deep_rng rng;
    deep_rng_init(&rng, seed);
    int64_t in = model->in_size, out = model->nodes[deep_model_output_node(model)].size;
    float *x = malloc((size_t)(batch * in) * sizeof *x), *y = malloc((size_t)(batch * out) * sizeof *y);
    for (int64_t i = 0; i < batch * in; i++)
        x[i] = given != NULL ? given[i] : 2.0f * deep_rng_float(&rng) - 1.0f;
    for (int64_t i = 0; i < batch * out; i++)
        y[i] = 2.0f * deep_rng_float(&rng) - 1.0f;
    /* Distinct weights, so that Maximum and Minimum have no ties. */
    for (int64_t i = 0; i < model->weight_total; i++)
        model->weights[i] = 0.9f * (float)sin(1.7 * (double)i + 0.3);

    deep_workspace ws;
    ck_assert_int_eq(deep_workspace_init(model, batch, true, &ws), DEEP_OK);
    deep_exec ex = {0};
    deep_model_load_inputs(model, &ws, x, batch);
    memcpy(ws.targets, y, (size_t)(batch * out) * sizeof(float));
    deep_model_forward(model, &ws, &ex, batch);
    deep_pass_stats stats = {0};
    deep_model_score_batch(model, &ws, batch, &stats, ws.grad_a);
    deep_model_backward(model, &ws, &ex, batch);
    float *analytic = malloc((size_t)model->weight_total * sizeof *analytic);
    memcpy(analytic, model->grads, (size_t)model->weight_total * sizeof *analytic);

    const float h = 1e-2f;
    for (int64_t i = 0; i < model->weight_total; i++) {
        float saved = model->weights[i];
        model->weights[i] = saved + h;
        double up = batch_loss(model, &ws, x, y, batch);
        model->weights[i] = saved - h;
        double down = batch_loss(model, &ws, x, y, batch);
        model->weights[i] = saved;
        double numeric = (up - down) / (2.0 * h);
        ck_assert_msg(fabs(numeric - analytic[i]) <= 2e-3 + 2e-2 * fabs(numeric),
                      "weight %lld: backward gives %g, finite differences %g", (long long)i, (double)analytic[i],
                      numeric);
    }
    deep_workspace_release(model, &ws);
    free(analytic);
    free(x);
    free(y);
}

static void check_gradients(deep_model *model, int64_t batch, uint64_t seed)
{
    check_gradients_on(model, batch, seed, NULL);
}

#endif
