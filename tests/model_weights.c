/* Helper of safetensors_numpy.py: prints every weight of a model file as
 * deep_model_get_weight reports it, one line per weight:
 *   <layer name>/<weight name> <rank> <dims...> <bits of each float as 8 hex digits...>
 * With --save PATH first, it trains the all-layers fixture for one epoch and saves it to
 * PATH, so that the independent reader also sees a file written in this very run. */
#include <stdio.h>
#include <string.h>

#include "graph/model.h"
#include "model_fixtures.h"

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--save") == 0) {
        deep_model *m = fixture_all_layers(11);
        fixture_compile(m, DEEP_OPTIMIZER_RMSPROP, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
        deep_dataset *d = fixture_images(24, 12);
        FIXTURE(deep_model_fit(m, d, 1, 8, NULL));
        FIXTURE(deep_model_save(m, argv[2]));
        deep_dataset_free(d);
        deep_model_free(m);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s MODEL_FILE | --save PATH\n", argv[0]);
        return 2;
    }
    deep_model *m = NULL;
    FIXTURE(deep_model_load(argv[1], &m));
    int32_t layers = 0;
    FIXTURE(deep_model_layer_count(m, &layers));
    /* An uncompiled model has no weights to report (nor does its file hold any). */
    for (int32_t i = 0; i < layers && m->compiled; i++) {
        int32_t count = 0;
        FIXTURE(deep_model_weight_count(m, i, &count));
        for (int32_t w = 0; w < count; w++) {
            deep_tensor *t = NULL;
            FIXTURE(deep_model_get_weight(m, i, w, &t));
            int32_t rank;
            int64_t shape[DEEP_MAX_RANK], n;
            const float *data;
            FIXTURE(deep_tensor_rank(t, &rank));
            FIXTURE(deep_tensor_shape(t, shape, DEEP_MAX_RANK, &(int64_t){0}));
            FIXTURE(deep_tensor_size(t, &n));
            FIXTURE(deep_tensor_data(t, &data));
            printf("%s/%s %d", m->layers[i]->name, m->layers[i]->params[w].name, (int)rank);
            for (int32_t d = 0; d < rank; d++)
                printf(" %lld", (long long)shape[d]);
            for (int64_t k = 0; k < n; k++) {
                uint32_t bits;
                memcpy(&bits, &data[k], 4);
                printf(" %08x", (unsigned)bits);
            }
            printf("\n");
            deep_tensor_free(t);
        }
    }
    deep_model_free(m);
    return 0;
}
