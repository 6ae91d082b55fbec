/* predict's batch splitting: a large batch is cut into contiguous slices of samples, one
 * per thread, each running the forward pass on its slice with a workspace of its own; a
 * small one runs on the calling thread. The threads are started for the call and share
 * nothing with other calls, so predict stays safe to call from many threads on one model
 * at once (it only reads the model). Each sample's outputs depend only on its inputs: the
 * layers of inference mode act on each sample alone, so the slicing does not change them
 * beyond the rounding of the matrix products. */
#include <pthread.h>
#include <string.h>

#include "graph/model.h"
#include "kernels/kernels.h"

/* Inference goes through buffers of this many samples at a time. */
#define PREDICT_CHUNK 256

/* A slice is worth a thread of its own from about this many multiply-adds (some hundreds
 * of microseconds): starting and joining a thread costs tens. */
#define SLICE_WORK 4e6

typedef struct slice {
    const deep_model *model;
    const float *in;
    float *out;
    int64_t count;
    deep_status status;
} slice;

static void *run_slice(void *raw)
{
    slice *s = raw;
    const deep_model *model = s->model;
    int64_t out_size = deep_model_output_layer(model)->out_size;
    deep_workspace ws;
    if (deep_workspace_init(model, s->count < PREDICT_CHUNK ? s->count : PREDICT_CHUNK, false, &ws) != DEEP_OK) {
        s->status = DEEP_ERR_NO_MEMORY;
        return NULL;
    }
    deep_exec ex = {0};
    for (int64_t start = 0; start < s->count; start += ws.max_batch) {
        int64_t batch = s->count - start < ws.max_batch ? s->count - start : ws.max_batch;
        memcpy(ws.acts[0], s->in + start * model->in_size, (size_t)(batch * model->in_size) * sizeof(float));
        deep_model_forward(model, &ws, &ex, batch);
        memcpy(s->out + start * out_size, ws.acts[model->layer_count], (size_t)(batch * out_size) * sizeof(float));
    }
    deep_workspace_release(model, &ws);
    s->status = DEEP_OK;
    return NULL;
}

double deep_model_sample_work(const deep_model *model)
{
    /* Each weight is used once per position of the layer's input (a pixel of a
     * convolution, a step of a recurrent layer, 1 for a Dense layer on vectors), plus
     * the element-wise work of the layer's input and output. */
    double work = 0;
    for (int32_t i = 0; i < model->layer_count; i++) {
        const deep_layer *layer = model->layers[i];
        int64_t last = layer->in_rank > 0 ? layer->in_shape[layer->in_rank - 1] : 1;
        double positions = last > 0 ? (double)(layer->in_size / last) : 1.0;
        for (int32_t p = 0; p < layer->param_count; p++)
            work += (double)layer->params[p].size * (positions > 1 ? positions : 1);
        work += (double)(layer->in_size + layer->out_size);
    }
    return work;
}

int32_t deep_model_predict_slices(const deep_model *model, int64_t n)
{
    int64_t threads = model->threads > 0 ? model->threads : deep_cpu_count();
    double by_work = deep_model_sample_work(model) * (double)n / SLICE_WORK;
    int64_t slices = by_work < (double)threads ? (int64_t)by_work : threads;
    if (slices > n)
        slices = n;
    return slices < 1 ? 1 : (int32_t)slices;
}

deep_status deep_model_predict_rows(const char *caller, const deep_model *model, const float *in, int64_t n,
                                    float *out)
{
    int32_t slices = deep_model_predict_slices(model, n);
    slice parts[DEEP_MAX_PREDICT_THREADS];
    pthread_t threads[DEEP_MAX_PREDICT_THREADS];
    bool started[DEEP_MAX_PREDICT_THREADS] = {false};
    if (slices > DEEP_MAX_PREDICT_THREADS)
        slices = DEEP_MAX_PREDICT_THREADS;
    int64_t out_size = deep_model_output_layer(model)->out_size;
    for (int32_t i = 0; i < slices; i++) {
        int64_t begin = n * i / slices, end = n * (i + 1) / slices;
        parts[i] = (slice){model, in + begin * model->in_size, out + begin * out_size, end - begin, DEEP_OK};
    }
    /* The BLAS runs one thread inside each slice, as in fit: the slices are the threads. */
    int blas_threads = slices > 1 ? deep_blas_threads_single() : 0;
    for (int32_t i = 1; i < slices; i++)
        started[i] = pthread_create(&threads[i], NULL, run_slice, &parts[i]) == 0;
    run_slice(&parts[0]);
    for (int32_t i = 1; i < slices; i++) {
        if (started[i])
            pthread_join(threads[i], NULL);
        else
            run_slice(&parts[i]); /* no thread to be had: the caller does it */
    }
    deep_blas_threads_restore(blas_threads);
    for (int32_t i = 0; i < slices; i++)
        if (parts[i].status != DEEP_OK)
            return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for prediction buffers");
    return DEEP_OK;
}
