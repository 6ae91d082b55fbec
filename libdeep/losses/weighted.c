/* Sample weights on a loss, as Keras applies them: each row's loss times its weight, the
 * sum divided by the number of rows (not by the sum of the weights). A row is a sample, or
 * a step of a per-step output (its sample's weight). */
#include "losses/loss.h"

double deep_loss_weighted(deep_loss loss, const deep_loss_config *config, const float *pred, const float *targets,
                          const int32_t *labels, int64_t rows, int64_t width, const float *weights)
{
    if (rows <= 0 || width <= 0)
        return 0;
    deep_loss_config row_config = *config;
    if ((loss == DEEP_LOSS_HINGE || loss == DEEP_LOSS_SQUARED_HINGE) && row_config.hinge_signs == 0 && targets)
        row_config.hinge_signs = deep_loss_binary_targets(targets, rows * width) ? 1 : -1;
    double total = 0;
    for (int64_t r = 0; r < rows; r++)
        total += (double)weights[r] * deep_loss_apply(loss, &row_config, pred + r * width,
                                                      targets ? targets + r * width : NULL, labels ? labels + r : NULL,
                                                      1, width, NULL);
    return total / (double)rows;
}

void deep_loss_scale_rows(float *grad, int64_t rows, int64_t width, const float *weights)
{
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < width; j++)
            grad[r * width + j] *= weights[r];
}
