/* The operator table, from import_ops.def. */
#ifdef DEEP_HAVE_ONNX

#include <string.h>

#include "onnx/import.h"

static const onnx_op ops[] = {
#define OP(name, since, fn, becomes) {#name, since, fn, becomes},
#include "onnx/import_ops.def"
#undef OP
};

const onnx_op *deep_onnx_ops(int64_t *count)
{
    *count = (int64_t)(sizeof ops / sizeof *ops);
    return ops;
}

const onnx_op *deep_onnx_find_op(const char *op_type)
{
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
        if (strcmp(ops[k].op_type, op_type) == 0)
            return &ops[k];
    return NULL;
}

#endif
