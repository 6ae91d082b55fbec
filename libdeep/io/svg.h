/* A small SVG writer for the library's pictures (column histograms, training curves):
 * plain SVG 1.1 text a browser or image viewer opens, with no dependency. Shapes carry a
 * class ("bar", "train", "validation", "tick") so that programs and tests can find them.
 * Never installed. */
#ifndef DEEP_IO_SVG_H
#define DEEP_IO_SVG_H

#include "core/bytes.h"
#include "core/c_locale.h"

/* Start with deep_svg_begin; numbers are written in the "C" locale between begin and
 * deep_svg_save (or deep_svg_discard), which ends it. */
typedef struct deep_svg {
    deep_bytes out;
    deep_c_locale locale;
} deep_svg;

/* A plotting area: the pixel rectangle [left, left + width] x [top, top + height] shows
 * the data rectangle [x0, x1] x [y0, y1] (y grows upwards). */
typedef struct deep_svg_panel {
    double left, top, width, height;
    double x0, x1, y0, y1;
} deep_svg_panel;

void deep_svg_begin(deep_svg *s, double width, double height, const char *title);
/* Text with <, >, & and quotes escaped; anchor is "start", "middle" or "end". */
void deep_svg_text(deep_svg *s, double x, double y, const char *anchor, double size, const char *text);
void deep_svg_rect(deep_svg *s, const char *cls, double x, double y, double width, double height,
                   const char *fill);
void deep_svg_line(deep_svg *s, const char *cls, double x1, double y1, double x2, double y2, const char *stroke);

double deep_svg_px(const deep_svg_panel *p, double x);
double deep_svg_py(const deep_svg_panel *p, double y);

/* Rounded tick values (1, 2 or 5 times a power of ten) covering [lo, hi] with at most
 * about `target` ticks: the first and the step. Widens [lo, hi] to whole steps in *lo
 * and *hi when `extend`. Returns the number of ticks. */
int deep_svg_ticks(double *lo, double *hi, int target, bool extend, double *first, double *step);
/* The frame of p with its ticks and labels on both axes, the axis titles and the panel's
 * title above it; ticks at whole numbers only on the axes marked integer (epochs, counts). */
void deep_svg_axes(deep_svg *s, const deep_svg_panel *p, const char *title, const char *x_label,
                   const char *y_label, bool integer_x, bool integer_y);
/* A line through the finite points (x[i], y[i]) of p, one polyline per run of finite
 * points, with a circle at each point. dashed draws it dashed. */
void deep_svg_polyline(deep_svg *s, const deep_svg_panel *p, const char *cls, const double *x, const double *y,
                       int64_t n, const char *stroke, bool dashed);

/* Closes the document and writes it to path atomically (io/file.h); ends the locale and
 * frees s in every case. DEEP_ERR_IO naming caller and path, DEEP_ERR_NO_MEMORY. */
deep_status deep_svg_save(deep_svg *s, const char *caller, const char *path);
/* Ends the locale and frees s without writing. */
void deep_svg_discard(deep_svg *s);

#endif
