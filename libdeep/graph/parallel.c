/* predict's batch splitting: a large batch is cut into contiguous slices of samples, one
 * per thread, each running the forward pass on its slice with a workspace of its own; a
 * small one runs on the calling thread. The threads are started for the call, and the
 * workspaces kept between calls are handed to one slice at a time, so predict stays safe
 * to call from many threads on one model at once (it only reads the model's values). Each sample's outputs depend only on its inputs (the
 * layers of inference mode act on each sample alone) and, with slices aligned as below,
 * on the slicing only through the last bits of the matrix products' rounding (none for
 * Dense layers). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "graph/model.h"
#include "kernels/kernels.h"

/* Inference goes through buffers of a chunk of samples at a time: as many as fit in
 * CHUNK_BYTES (more rows make more efficient products: 256 for the seed MLP), few enough
 * that the buffers kept between calls stay small (the seed CNN's chunk is 80 samples).
 * A multiple of SLICE_ALIGN. */
#define CHUNK_BYTES (16.0 * 1024 * 1024)
#define CHUNK_MIN 16
/* Not more: OpenBLAS blocks the rows of a taller product in other places (its GEMM_P),
 * which changes the last bits, and the outputs must not depend on the slicing. */
#define CHUNK_MAX 256
/* Slices start on multiples of this many samples (see slice_start). */
#define SLICE_ALIGN 16

/* A slice is worth a thread of its own from about this many multiply-adds (some hundreds
 * of microseconds): starting and joining a thread costs tens. */
#define SLICE_WORK 4e6

/* Workspaces kept between calls, so that repeated predicts neither allocate nor touch
 * fresh pages (the page faults of a new CNN workspace cost more than its forward pass).
 * Each call takes what it needs and gives it back; concurrent calls take different ones. */
struct deep_predict_cache {
    pthread_mutex_t lock;
    int32_t count;
    deep_workspace *free[DEEP_MAX_PREDICT_THREADS];
};

static struct deep_predict_cache *predict_cache(const deep_model *model)
{
    deep_model *m = (deep_model *)model; /* the cache is not part of the model's value */
    struct deep_predict_cache *cache = atomic_load(&m->predict_cache);
    if (cache != NULL)
        return cache;
    struct deep_predict_cache *fresh = calloc(1, sizeof *fresh);
    if (fresh == NULL)
        return NULL; /* predict still works, allocating per call */
    pthread_mutex_init(&fresh->lock, NULL);
    if (atomic_compare_exchange_strong(&m->predict_cache, &cache, fresh))
        return fresh;
    pthread_mutex_destroy(&fresh->lock); /* another thread made one first */
    free(fresh);
    return cache;
}

/* A workspace for batches of up to max_batch samples: a kept one, or a new one. */
static deep_workspace *take_workspace(const deep_model *model, int64_t max_batch)
{
    struct deep_predict_cache *cache = predict_cache(model);
    deep_workspace *ws = NULL;
    if (cache != NULL) {
        pthread_mutex_lock(&cache->lock);
        for (int32_t i = 0; i < cache->count; i++)
            if (cache->free[i]->max_batch >= max_batch) {
                ws = cache->free[i];
                cache->free[i] = cache->free[--cache->count];
                break;
            }
        pthread_mutex_unlock(&cache->lock);
    }
    if (ws != NULL)
        return ws;
    ws = calloc(1, sizeof *ws);
    if (ws != NULL && deep_workspace_init(model, max_batch, false, ws) != DEEP_OK) {
        free(ws);
        ws = NULL;
    }
    return ws;
}

/* Keeps ws for the next calls, up to one per core, else frees it. */
static void give_workspace(const deep_model *model, deep_workspace *ws)
{
    struct deep_predict_cache *cache = predict_cache(model);
    if (cache != NULL) {
        pthread_mutex_lock(&cache->lock);
        bool kept = cache->count < DEEP_MAX_PREDICT_THREADS && cache->count < deep_cpu_count();
        if (kept)
            cache->free[cache->count++] = ws;
        pthread_mutex_unlock(&cache->lock);
        if (kept)
            return;
    }
    deep_workspace_release(model, ws);
    free(ws);
}

void deep_model_release_predict(deep_model *model)
{
    struct deep_predict_cache *cache = atomic_load(&model->predict_cache);
    if (cache == NULL)
        return;
    for (int32_t i = 0; i < cache->count; i++) {
        deep_workspace_release(model, cache->free[i]);
        free(cache->free[i]);
    }
    pthread_mutex_destroy(&cache->lock);
    free(cache);
    atomic_store(&model->predict_cache, NULL);
}

/* The samples of a chunk for this model (see CHUNK_BYTES). */
static int64_t chunk_samples(const deep_model *model)
{
    double floats = 0;
    for (int32_t i = 0; i < model->node_count; i++)
        floats += (double)model->nodes[i].size +
                  (model->nodes[i].layer != NULL ? (double)model->nodes[i].layer->scratch_size : 0.0);
    double fit = CHUNK_BYTES / (4.0 * floats + 8.0); /* + labels and masks, roughly */
    int64_t chunk = fit >= CHUNK_MAX ? CHUNK_MAX : fit <= CHUNK_MIN ? CHUNK_MIN : (int64_t)fit;
    return chunk / SLICE_ALIGN * SLICE_ALIGN;
}

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
    int64_t row = deep_model_output_row(model);
    /* Every kept workspace holds a full chunk, so that any call can reuse it. */
    deep_workspace *ws = take_workspace(model, chunk_samples(model));
    if (ws == NULL) {
        s->status = DEEP_ERR_NO_MEMORY;
        return NULL;
    }
    deep_exec ex = {0};
    for (int64_t start = 0; start < s->count; start += ws->max_batch) {
        int64_t batch = s->count - start < ws->max_batch ? s->count - start : ws->max_batch;
        deep_model_load_inputs(model, ws, s->in + start * model->in_size, batch);
        deep_model_forward(model, ws, &ex, batch);
        deep_model_store_outputs(model, ws, batch, s->out + start * row);
    }
    give_workspace(model, ws);
    s->status = DEEP_OK;
    return NULL;
}

double deep_model_sample_work(const deep_model *model)
{
    /* Each weight is used once per position of the layer's input (a pixel of a
     * convolution, a step of a recurrent layer, 1 for a Dense layer on vectors), plus
     * the element-wise work of the layer's input and output. */
    double work = 0;
    for (int32_t i = 0; i < model->node_count; i++) {
        const deep_layer *layer = model->nodes[i].layer; /* per call: a shared layer works at each */
        if (layer == NULL || model->nodes[i].part > 0)
            continue; /* an input, or a state its call wrote */
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
    double by_work = deep_model_sample_work(model) * (double)n / SLICE_WORK;
    if (by_work < 2 || n < 2)
        return 1; /* before deep_cpu_count's system call: small predicts are most calls */
    int64_t threads = model->threads > 0 ? model->threads : deep_cpu_count();
    int64_t slices = by_work < (double)threads ? (int64_t)by_work : threads;
    if (slices > n)
        slices = n;
    return slices < 1 ? 1 : (int32_t)slices;
}

/* Where slice i of n samples starts: a multiple of SLICE_ALIGN. OpenBLAS computes the
 * rows of a product in blocks of its kernel's height and a short block with other
 * kernels, whose last bits differ, so a slice starting mid-block would change its samples'
 * outputs; starting on a multiple of 16 (a multiple of those heights, and the chunk a
 * multiple of it) keeps a Dense model's outputs those of one thread bit for bit with the
 * AVX-512 kernels (other kernels, as under valgrind, may still differ in the last bits;
 * tests/test_online.c checks the agreement to rounding). A recurrent layer lays its rows out step by step, so
 * there a different last chunk can still change the last bits. */
static int64_t slice_start(int64_t n, int32_t slices, int32_t i)
{
    if (i >= slices)
        return n;
    int64_t start = (n * i / slices + SLICE_ALIGN / 2) / SLICE_ALIGN * SLICE_ALIGN;
    return start < n ? start : n;
}

deep_status deep_model_predict_rows(const char *caller, const deep_model *model, const float *in, int64_t n,
                                    float *out)
{
    int32_t wanted = deep_model_predict_slices(model, n), slices = 0;
    if (wanted > DEEP_MAX_PREDICT_THREADS)
        wanted = DEEP_MAX_PREDICT_THREADS;
    slice parts[DEEP_MAX_PREDICT_THREADS];
    pthread_t threads[DEEP_MAX_PREDICT_THREADS];
    bool started[DEEP_MAX_PREDICT_THREADS] = {false};
    int64_t row = deep_model_output_row(model);
    for (int32_t i = 0; i < wanted; i++) {
        int64_t begin = slice_start(n, wanted, i), end = slice_start(n, wanted, i + 1);
        if (begin < end) /* alignment can leave a slice of a small batch empty */
            parts[slices++] = (slice){model, in + begin * model->in_size, out + begin * row, end - begin, DEEP_OK};
    }
    if (slices == 0)
        return DEEP_OK; /* no samples */
    /* The BLAS runs one thread inside each slice, as in fit: the slices are the threads.
     * On the caller alone too: OpenBLAS's own threads wait for each other by spinning,
     * which on a busy machine made a 32-sample MLP predict 100 times slower. */
    int blas_threads = deep_blas_threads_single();
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
