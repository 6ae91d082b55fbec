/* The SVG writer behind deep_dataset_histogram_svg and deep_model_history_svg. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "io/file.h"
#include "io/svg.h"

static void put_escaped(deep_bytes *b, const char *text)
{
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '<': deep_bytes_put(b, "&lt;", 4); break;
        case '>': deep_bytes_put(b, "&gt;", 4); break;
        case '&': deep_bytes_put(b, "&amp;", 5); break;
        case '"': deep_bytes_put(b, "&quot;", 6); break;
        case '\'': deep_bytes_put(b, "&apos;", 6); break;
        default:
            /* XML 1.0 forbids most control characters even as references. */
            if ((unsigned char)*c < 0x20 && *c != '\t' && *c != '\n')
                deep_bytes_put(b, "?", 1);
            else
                deep_bytes_put(b, c, 1);
        }
    }
}

void deep_svg_begin(deep_svg *s, double width, double height, const char *title)
{
    memset(s, 0, sizeof *s);
    s->locale = deep_c_locale_begin();
    deep_bytes_printf(&s->out,
                      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\" "
                      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n<title>",
                      width, height, width, height);
    put_escaped(&s->out, title);
    deep_bytes_printf(&s->out, "</title>\n<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n",
                      width, height);
}

void deep_svg_text(deep_svg *s, double x, double y, const char *anchor, double size, const char *text)
{
    deep_bytes_printf(&s->out, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"%s\" font-size=\"%.0f\">", x, y, anchor,
                      size);
    put_escaped(&s->out, text);
    deep_bytes_printf(&s->out, "</text>\n");
}

void deep_svg_rect(deep_svg *s, const char *cls, double x, double y, double width, double height, const char *fill)
{
    deep_bytes_printf(&s->out,
                      "<rect class=\"%s\" x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" height=\"%.3f\" fill=\"%s\" "
                      "stroke=\"white\" stroke-width=\"0.5\"/>\n",
                      cls, x, y, width, height, fill);
}

void deep_svg_line(deep_svg *s, const char *cls, double x1, double y1, double x2, double y2, const char *stroke)
{
    deep_bytes_printf(&s->out, "<line class=\"%s\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\"/>\n",
                      cls, x1, y1, x2, y2, stroke);
}

double deep_svg_px(const deep_svg_panel *p, double x)
{
    return p->left + (x - p->x0) / (p->x1 - p->x0) * p->width;
}

double deep_svg_py(const deep_svg_panel *p, double y)
{
    return p->top + p->height - (y - p->y0) / (p->y1 - p->y0) * p->height;
}

int deep_svg_ticks(double *lo, double *hi, int target, bool extend, double *first, double *step)
{
    if (!(*hi > *lo)) { /* one value: a unit range around it, so that it sits mid-axis */
        double pad = *lo != 0 ? fabs(*lo) * 0.5 : 0.5;
        *lo -= pad, *hi += pad;
    }
    double raw = (*hi - *lo) / (target > 1 ? target - 1 : 1);
    double magnitude = pow(10.0, floor(log10(raw))), f = raw / magnitude;
    *step = (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * magnitude;
    *first = ceil(*lo / *step - 1e-9) * *step;
    if (extend) {
        *first = floor(*lo / *step + 1e-9) * *step;
        *lo = *first;
        *hi = ceil(*hi / *step - 1e-9) * *step;
    }
    return (int)floor((*hi - *first) / *step + 1e-9) + 1;
}

/* A tick label with as many decimals as the step needs, and no "-0". */
static void format_tick(char *buf, size_t capacity, double v, double step)
{
    if (fabs(v) < step * 1e-6)
        v = 0;
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (fabs(v) >= 1e7 || decimals > 8)
        snprintf(buf, capacity, "%.3g", v);
    else
        snprintf(buf, capacity, "%.*f", decimals, v);
}

void deep_svg_axes(deep_svg *s, const deep_svg_panel *p, const char *title, const char *x_label,
                   const char *y_label, bool integer_x, bool integer_y)
{
    double lo = p->y0, hi = p->y1, first, step;
    char label[48];
    int n = deep_svg_ticks(&lo, &hi, 6, false, &first, &step);
    if (integer_y && step < 1) {
        step = 1;
        first = ceil(p->y0);
        n = (int)floor(p->y1 - first) + 1;
    }
    for (int i = 0; i < n; i++) {
        double v = first + i * step, y = deep_svg_py(p, v);
        if (v > p->y1 + step * 1e-6)
            break;
        deep_svg_line(s, "grid", p->left, y, p->left + p->width, y, "#e6e6e6");
        deep_svg_line(s, "tick", p->left - 5, y, p->left, y, "black");
        format_tick(label, sizeof label, v, step);
        deep_svg_text(s, p->left - 8, y + 4, "end", 11, label);
    }
    lo = p->x0, hi = p->x1;
    n = deep_svg_ticks(&lo, &hi, 8, false, &first, &step);
    if (integer_x && step < 1) {
        step = 1;
        first = ceil(p->x0);
        n = (int)floor(p->x1 - first) + 1;
    }
    for (int i = 0; i < n; i++) {
        double v = first + i * step, x = deep_svg_px(p, v);
        if (v > p->x1 + step * 1e-6)
            break;
        deep_svg_line(s, "tick", x, p->top + p->height, x, p->top + p->height + 5, "black");
        format_tick(label, sizeof label, v, step);
        deep_svg_text(s, x, p->top + p->height + 18, "middle", 11, label);
    }
    deep_bytes_printf(&s->out,
                      "<rect class=\"frame\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
                      "stroke=\"black\"/>\n",
                      p->left, p->top, p->width, p->height);
    deep_svg_text(s, p->left + p->width / 2, p->top - 10, "middle", 14, title);
    deep_svg_text(s, p->left + p->width / 2, p->top + p->height + 36, "middle", 12, x_label);
    double cx = p->left - 52, cy = p->top + p->height / 2;
    deep_bytes_printf(&s->out, "<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" "
                               "transform=\"rotate(-90 %.2f %.2f)\">", cx, cy, cx, cy);
    put_escaped(&s->out, y_label);
    deep_bytes_printf(&s->out, "</text>\n");
}

void deep_svg_polyline(deep_svg *s, const deep_svg_panel *p, const char *cls, const double *x, const double *y,
                       int64_t n, const char *stroke, bool dashed)
{
    for (int64_t i = 0; i < n;) {
        while (i < n && !(isfinite(x[i]) && isfinite(y[i])))
            i++;
        if (i == n)
            break;
        deep_bytes_printf(&s->out, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"",
                          cls, stroke, dashed ? " stroke-dasharray=\"6 4\"" : "");
        int64_t start = i;
        for (; i < n && isfinite(x[i]) && isfinite(y[i]); i++)
            deep_bytes_printf(&s->out, "%s%.2f,%.2f", i > start ? " " : "", deep_svg_px(p, x[i]),
                              deep_svg_py(p, y[i]));
        deep_bytes_printf(&s->out, "\"/>\n");
        for (int64_t j = start; j < i; j++)
            deep_bytes_printf(&s->out, "<circle class=\"%s-point\" cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" fill=\"%s\"/>\n",
                              cls, deep_svg_px(p, x[j]), deep_svg_py(p, y[j]), stroke);
    }
}

deep_status deep_svg_save(deep_svg *s, const char *caller, const char *path)
{
    deep_bytes_printf(&s->out, "</svg>\n");
    deep_status status = DEEP_OK;
    if (s->locale.c == NULL)
        status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the \"C\" locale writing %s", path);
    else if (s->out.failed)
        status = deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory for the picture of %s", path);
    deep_c_locale_end(s->locale);
    if (status == DEEP_OK)
        status = deep_file_write_atomic(caller, path, s->out.data, s->out.length);
    deep_bytes_free(&s->out);
    return status;
}

void deep_svg_discard(deep_svg *s)
{
    deep_c_locale_end(s->locale);
    deep_bytes_free(&s->out);
}
