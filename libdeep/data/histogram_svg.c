/* deep_dataset_histogram_svg: the histogram of one column drawn as pandas' hist draws it,
 * one bar per bin of deep_dataset_histogram, written as an SVG file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "data/data.h"
#include "io/svg.h"

/* Some 200 bytes a bar: at most about 20 MB of SVG, and already far more bars than pixels. */
#define MAX_BARS 100000

deep_status deep_dataset_histogram_svg(const deep_dataset *dataset, int64_t column, int64_t bins, const char *path)
{
    DEEP_REQUIRE(dataset);
    DEEP_REQUIRE(path);
    int64_t n_edges = 0, n_counts = 0;
    deep_status status = deep_dataset_histogram(dataset, column, bins, NULL, 0, &n_edges, NULL, 0, &n_counts);
    if (status != DEEP_OK)
        return deep_error_wrap(status, __func__, "column %lld", (long long)column);
    if (n_counts > MAX_BARS)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT,
                         "%lld bins are more bars than a picture can show; use at most %d (bins, or \"auto\" as 0)",
                         (long long)n_counts, MAX_BARS);
    double *edges = deep_alloc(n_edges, sizeof *edges);
    int64_t *counts = deep_alloc(n_counts, sizeof *counts);
    if (edges == NULL || counts == NULL) {
        free(edges);
        free(counts);
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld bins", (long long)n_counts);
    }
    status = deep_dataset_histogram(dataset, column, bins, edges, n_edges, &n_edges, counts, n_counts, &n_counts);
    if (status != DEEP_OK) {
        free(edges);
        free(counts);
        return deep_error_wrap(status, __func__, "column %lld", (long long)column);
    }
    char fallback[40];
    snprintf(fallback, sizeof fallback, "column %lld", (long long)column);
    const char *name = dataset->column_names ? dataset->column_names[column] : fallback;

    int64_t top = 0;
    for (int64_t i = 0; i < n_counts; i++)
        top = counts[i] > top ? counts[i] : top;
    deep_svg_panel p = {.left = 80, .top = 50, .width = 560, .height = 320};
    double y0 = 0, y1 = top > 0 ? (double)top : 1, first, step;
    /* Integer counts: whole ticks, the axis up to the tick at or above the largest bar. */
    deep_svg_ticks(&y0, &y1, 6, true, &first, &step);
    if (step < 1) {
        y0 = 0;
        y1 = top > 0 ? (double)top : 1;
    }
    p.x0 = edges[0], p.x1 = edges[n_counts], p.y0 = 0, p.y1 = y1;
    deep_svg svg;
    deep_svg_begin(&svg, 700, 430, name);
    for (int64_t i = 0; i < n_counts; i++) {
        double x = deep_svg_px(&p, edges[i]), right = deep_svg_px(&p, edges[i + 1]);
        double h = (double)counts[i] / p.y1 * p.height;
        /* data-count and the tooltip let a reader (and the tests) recover the numbers. */
        deep_bytes_printf(&svg.out,
                          "<rect class=\"bar\" data-count=\"%lld\" x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" "
                          "height=\"%.3f\" fill=\"#4c72b0\" stroke=\"white\" stroke-width=\"0.5\">"
                          "<title>%.6g to %.6g: %lld</title></rect>\n",
                          (long long)counts[i], x, p.top + p.height - h, right - x, h, edges[i], edges[i + 1],
                          (long long)counts[i]);
    }
    deep_svg_axes(&svg, &p, name, name, "count", false, true);
    free(edges);
    free(counts);
    return deep_svg_save(&svg, __func__, path);
}
