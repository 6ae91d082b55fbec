/* Keras' rule for inputs (since 1.2): a sample's shape must be the model's input shape, so
 * that an (n, 3, 32, 32) channels-first batch no longer goes into a (32, 32, 3) model
 * because the element counts agree. 1.x compatibility keeps the flat forms that 1.0
 * accepted (deep.h, "Input shapes"). The messages name the axis that differs and guess
 * the usual mistakes: channels first, a missing batch axis. */
#include <stdio.h>
#include <string.h>

#include "graph/model.h"
#include "tensor/tensor.h"

static bool same_shape(int32_t rank, const int64_t *shape, int32_t other_rank, const int64_t *other)
{
    return rank == other_rank && memcmp(shape, other, (size_t)rank * sizeof *shape) == 0;
}

/* The shape moved one axis: (c, h, w) for a (h, w, c) model, the channels first. */
static bool channels_first(int32_t rank, const int64_t *shape, const deep_model *model)
{
    if (rank != model->in_rank || rank < 2)
        return false;
    for (int32_t k = 0; k < rank; k++)
        if (shape[(k + 1) % rank] != model->in_shape[k])
            return false;
    return shape[0] != model->in_shape[0];
}

/* A hint after the message for the likely mistake, or "". */
static const char *hint(int32_t rank, const int64_t *shape, const deep_model *model, char *buf, size_t capacity)
{
    if (channels_first(rank, shape, model)) {
        if (rank == 3)
            snprintf(buf, capacity, "; the samples look channels-first (channels, height, width) while the model "
                     "takes channels-last (height, width, channels): transpose them, a batch's axes as (0, 2, 3, "
                     "1)");
        else
            snprintf(buf, capacity, "; the samples look channels-first (the last axis of the model's shape "
                     "comes first): move that axis to the end");
        return buf;
    }
    return "";
}

/* The first sample axis that differs (ranks equal), or -1. */
static int32_t differing_axis(int32_t rank, const int64_t *shape, const deep_model *model)
{
    for (int32_t k = 0; k < rank; k++)
        if (shape[k] != model->in_shape[k])
            return k;
    return -1;
}

static deep_status refuse(const deep_model *model, int32_t rank, const int64_t *shape, bool batch,
                          const char *what, const char *caller)
{
    char got[128], want[128], tip[256];
    deep_shape_format(got, sizeof got, rank, shape);
    deep_shape_format(want, sizeof want, model->in_rank, model->in_shape);
    const char *more = hint(rank, shape, model, tip, sizeof tip);
    int32_t axis = rank == model->in_rank ? differing_axis(rank, shape, model) : -1;
    /* Axes are numbered as the caller sees them: in a batch tensor, after the batch axis. */
    int32_t shown = axis + (batch ? 1 : 0);
    if (axis >= 0)
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "%s: a sample has shape %s but the model's input is %s: %s axis %d has %lld entries, "
                              "not %lld%s",
                              what, got, want, batch ? "batch" : "sample", (int)shown, (long long)shape[axis],
                              (long long)model->in_shape[axis], more);
    return deep_error_set(DEEP_ERR_SHAPE, caller,
                          "%s: a sample has shape %s, of rank %d, but the model's input is %s, of rank %d (the "
                          "element counts may agree, the axes do not: reshape the data explicitly)",
                          what, got, (int)rank, want, (int)model->in_rank);
}

/* Whether samples of this shape may enter the model's one input: its own shape, or (1.x
 * compatibility) a flat sample of as many features. */
static bool accepted(const deep_model *model, int32_t rank, const int64_t *shape, int64_t size)
{
    if (same_shape(rank, shape, model->in_rank, model->in_shape))
        return true;
    return size == model->in_size && rank == 1;
}

deep_status deep_model_check_dataset_shape(const deep_model *model, const deep_dataset *data, const char *caller)
{
    if (model->input_count != 1 || data->sample_size != model->in_size ||
        accepted(model, data->sample_rank, data->sample_shape, data->sample_size))
        return DEEP_OK; /* a different count: the size check that follows says so */
    return refuse(model, data->sample_rank, data->sample_shape, false, "the dataset", caller);
}

deep_status deep_model_check_batch_shape(const deep_model *model, int32_t rank, const int64_t *shape,
                                         bool hints_only, const char *what, const char *caller)
{
    if (model->input_count != 1)
        return DEEP_OK; /* several inputs come as flat rows: only their size can be checked */
    int64_t size = 1;
    for (int32_t k = 1; k < rank; k++)
        size *= shape[k];
    /* A valid batch first: (1, 4) for a (1, 4) model is one flat sample, as 1.0 read it. */
    if (rank >= 2 && !hints_only && accepted(model, rank - 1, shape + 1, size))
        return DEEP_OK;
    if (same_shape(rank, shape, model->in_rank, model->in_shape)) {
        char got[128], want[128];
        int64_t batch[DEEP_MAX_RANK] = {1};
        memcpy(batch + 1, shape, (size_t)rank * sizeof *shape);
        return deep_error_set(DEEP_ERR_SHAPE, caller,
                              "%s of shape %s are one sample without the batch axis; add a batch axis: shape %s", what,
                              deep_shape_format(got, sizeof got, rank, shape),
                              deep_shape_format(want, sizeof want, rank + 1, batch));
    }
    if (rank < 2)
        return DEEP_OK; /* the size check that follows explains it */
    if (accepted(model, rank - 1, shape + 1, size) || size != model->in_size)
        return DEEP_OK; /* a different count: the size check that follows says so */
    if (hints_only && !channels_first(rank - 1, shape + 1, model))
        return DEEP_OK;
    char batch_what[160], got[128];
    snprintf(batch_what, sizeof batch_what, "%s of shape %s", what, deep_shape_format(got, sizeof got, rank, shape));
    return refuse(model, rank - 1, shape + 1, true, batch_what, caller);
}
