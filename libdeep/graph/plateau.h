/* ReduceLROnPlateau's settings and running state, a part of the model (graph/plateau.c). */
#ifndef DEEP_GRAPH_PLATEAU_H
#define DEEP_GRAPH_PLATEAU_H

#include <stdint.h>

struct deep_plateau {
    /* Settings (deep_model_set_reduce_lr_on_plateau); factor 0: off, the default. */
    double factor, min_delta, min_lr;
    int64_t patience, cooldown;
    /* Keras' callback state, reset when fit starts: the best monitored loss (NaN: none
     * yet), epochs waited since it improved, epochs left in the cool-down. */
    double best;
    int64_t wait, cooldown_left;
};

#endif
