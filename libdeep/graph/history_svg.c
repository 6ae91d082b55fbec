/* deep_model_history_svg: the training curves of the last fit as an SVG file, one panel
 * per quantity (the loss, then each compiled metric), as a Keras user draws
 * history.history with matplotlib. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "graph/model.h"
#include "io/svg.h"

#define PANEL_HEIGHT 240
#define PANEL_GAP 90

/* One panel: the training curve and, when the fit had validation data, the validation
 * curve, with a legend. values holds the epochs' training values then their validation
 * values. */
static void draw_panel(deep_svg *svg, int32_t index, const char *name, const double *epochs, const double *values,
                       int64_t n, bool validation)
{
    deep_svg_panel p = {.left = 80, .top = 50 + index * (PANEL_HEIGHT + PANEL_GAP), .width = 560,
                        .height = PANEL_HEIGHT};
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < (validation ? 2 * n : n); i++)
        if (isfinite(values[i]))
            lo = fmin(lo, values[i]), hi = fmax(hi, values[i]);
    if (!isfinite(lo))
        lo = 0, hi = 1;
    double first, step;
    deep_svg_ticks(&lo, &hi, 6, true, &first, &step);
    p.y0 = lo, p.y1 = hi;
    p.x0 = n > 1 ? 1 : 0.5, p.x1 = n > 1 ? (double)n : 1.5;
    deep_svg_axes(svg, &p, name, "epoch", name, true, false);
    deep_svg_polyline(svg, &p, "train", epochs, values, n, "#1f77b4", false);
    if (validation)
        deep_svg_polyline(svg, &p, "validation", epochs, values + n, n, "#ff7f0e", true);
    /* The legend, inside the panel's top right corner. */
    double x = p.left + p.width - 130, y = p.top + 10;
    deep_bytes_printf(&svg->out, "<g class=\"legend\">\n");
    deep_svg_rect(svg, "legend-box", x, y, 120, validation ? 44 : 24, "white");
    deep_svg_line(svg, "legend-train", x + 6, y + 12, x + 30, y + 12, "#1f77b4");
    deep_svg_text(svg, x + 36, y + 16, "start", 11, "training");
    if (validation) {
        deep_svg_line(svg, "legend-validation", x + 6, y + 32, x + 30, y + 32, "#ff7f0e");
        deep_svg_text(svg, x + 36, y + 36, "start", 11, "validation");
    }
    deep_bytes_printf(&svg->out, "</g>\n");
}

deep_status deep_model_history_svg(const deep_model *model, const char *path)
{
    DEEP_REQUIRE(model);
    DEEP_REQUIRE(path);
    int64_t n = model->history_length;
    if (n == 0 || model->history == NULL)
        return DEEP_FAIL(DEEP_ERR_STATE, "the model has no history yet: call deep_model_fit first");
    /* The fit had validation data when its first epoch has a validation loss. */
    bool validation = !isnan(model->history[deep_model_stat_count(model)]);
    int32_t panels = 1 + model->metric_count;
    double *epochs = deep_alloc(n, sizeof *epochs);
    double *values = deep_alloc(2 * n, sizeof *values);
    if (epochs == NULL || values == NULL) {
        free(epochs);
        free(values);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld epochs", (long long)n);
    }
    for (int64_t e = 0; e < n; e++)
        epochs[e] = (double)(e + 1);
    deep_svg svg;
    deep_svg_begin(&svg, 700, 50 + panels * (PANEL_HEIGHT + PANEL_GAP) - PANEL_GAP + 60, "training history");
    deep_status status = DEEP_OK;
    for (int32_t k = 0; k < panels && status == DEEP_OK; k++) {
        deep_metric metric = k == 0 ? DEEP_METRIC_LOSS : model->metrics[k - 1];
        for (int64_t e = 0; e < n && status == DEEP_OK; e++) {
            status = deep_model_history(model, e, metric, 0, &values[e]);
            if (status == DEEP_OK && validation)
                status = deep_model_history(model, e, metric, 1, &values[n + e]);
        }
        if (status == DEEP_OK)
            draw_panel(&svg, k, deep_metric_log_name(metric), epochs, values, n, validation);
    }
    free(epochs);
    free(values);
    if (status != DEEP_OK) {
        deep_svg_discard(&svg);
        return deep_error_wrap(status, __func__, "reading the history");
    }
    return deep_svg_save(&svg, __func__, path);
}
