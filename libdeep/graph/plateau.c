/* Keras' ReduceLROnPlateau as a setting of fit: the learning rate is multiplied by factor
 * (never below min_lr) when the monitored loss has not improved by more than min_delta for
 * `patience` epochs, then nothing is counted for `cooldown` epochs. */
#include <math.h>
#include <stdio.h>

#include "core/c_locale.h"
#include "graph/optimize.h"
#include "optim/optim.h"

deep_status deep_model_set_reduce_lr_on_plateau(deep_model *model, double factor, int64_t patience,
                                                double min_delta, int64_t cooldown, double min_lr)
{
    DEEP_REQUIRE(model);
    if (!(factor >= 0 && factor < 1))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "factor must be in (0, 1), or 0 to turn it off, got %g", factor);
    if (patience < 0 || patience > INT32_MAX)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "patience must be in [0, %d], got %lld", INT32_MAX,
                         (long long)patience);
    if (cooldown < 0 || cooldown > INT32_MAX)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "cooldown must be in [0, %d], got %lld", INT32_MAX,
                         (long long)cooldown);
    if (!(isfinite(min_delta) && min_delta >= 0))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "min_delta must be finite and >= 0, got %g", min_delta);
    if (!(isfinite(min_lr) && min_lr >= 0))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "min_lr must be finite and >= 0, got %g", min_lr);
    /* fit reads the settings at every epoch: a callback may change them, as a Keras
     * callback may change another callback's attributes. */
    DEEP_TRY(deep_model_may_change(model, __func__, "ReduceLROnPlateau", true));
    struct deep_plateau *p = &model->plateau;
    p->factor = factor;
    p->patience = patience;
    p->min_delta = min_delta;
    p->cooldown = cooldown;
    p->min_lr = min_lr;
    return DEEP_OK;
}

deep_status deep_model_get_reduce_lr_on_plateau(const deep_model *model, double *factor, int64_t *patience,
                                                double *min_delta, int64_t *cooldown, double *min_lr)
{
    DEEP_REQUIRE(model);
    const struct deep_plateau *p = &model->plateau;
    if (factor)
        *factor = p->factor;
    if (patience)
        *patience = p->patience;
    if (min_delta)
        *min_delta = p->min_delta;
    if (cooldown)
        *cooldown = p->cooldown;
    if (min_lr)
        *min_lr = p->min_lr;
    return DEEP_OK;
}

static void log_reduction(const deep_model *model, int32_t epoch, double rate)
{
    if (!model->verbose || model->log == NULL)
        return;
    char line[128];
    deep_c_locale locale = deep_c_locale_begin();
    snprintf(line, sizeof line, "Epoch %d: ReduceLROnPlateau reducing learning rate to %g.", (int)epoch + 1, rate);
    deep_c_locale_end(locale);
    model->log(model->log_user, DEEP_LOG_INFO, line);
}

deep_status deep_model_plateau_epoch(deep_model *model, int32_t epoch, bool first, double monitored)
{
    struct deep_plateau *p = &model->plateau;
    if (p->factor == 0)
        return DEEP_OK;
    if (first) {
        const deep_schedule *schedule = NULL;
        deep_optimizer_get_schedule(model->optimizer, &schedule);
        if (schedule != NULL)
            return deep_error_set(DEEP_ERR_STATE, "deep_model_fit",
                                  "ReduceLROnPlateau sets the learning rate, but the optimizer follows a "
                                  "learning-rate schedule; use one or the other");
        p->best = NAN;
        p->wait = 0;
        p->cooldown_left = 0;
    }
    if (p->cooldown_left > 0) {
        p->cooldown_left--;
        p->wait = 0;
    }
    if (isnan(p->best) || monitored < p->best - p->min_delta) {
        p->best = monitored;
        p->wait = 0;
        return DEEP_OK;
    }
    if (p->cooldown_left > 0 || ++p->wait < p->patience)
        return DEEP_OK;
    double rate;
    deep_optimizer_get_float(model->optimizer, DEEP_OPT_LEARNING_RATE, &rate);
    /* As Keras: only above min_lr (compared as float), and never below it. */
    const double reduced = fmax(rate * p->factor, p->min_lr);
    /* A rate that rounds to 0 in float is no rate (the optimizer refuses it): the smallest
     * positive float is as low as it goes. */
    if (rate > (double)(float)p->min_lr && (float)reduced > 0) {
        DEEP_TRY(deep_optimizer_set_float(model->optimizer, DEEP_OPT_LEARNING_RATE, reduced));
        log_reduction(model, epoch, reduced);
        p->cooldown_left = p->cooldown;
        p->wait = 0;
    }
    return DEEP_OK;
}
