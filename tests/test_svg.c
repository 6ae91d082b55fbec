/* Tests of the SVG pictures (since 1.1): deep_dataset_histogram_svg and
 * deep_model_history_svg. The files are checked as XML by a small well-formedness checker
 * below, and by their content: one bar per bin with heights proportional to the counts,
 * one polyline point per epoch, a validation curve only when the fit had validation data. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/file.h"
#include "io/svg.h"

#define OK(expr) ck_assert_int_eq((expr), DEEP_OK)
#define FAILS(expr, status, text)                                                                 \
    do {                                                                                         \
        ck_assert_int_eq((expr), (status));                                                      \
        ck_assert_msg(strstr(deep_last_error(), (text)) != NULL, "message '%s' lacks '%s'",     \
                      deep_last_error(), (text));                                                \
    } while (0)

static char dir[64], path[128];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/deep-svg-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.svg", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

static char *read_text(void)
{
    uint8_t *data = NULL;
    size_t length = 0;
    OK(deep_file_read("test", path, &data, &length));
    char *text = malloc(length + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, data, length);
    text[length] = 0;
    free(data);
    return text;
}

/* Well-formed XML as far as these files go: one root, every element closed in order,
 * attributes quoted, no '<' or stray '&' in text or attribute values. Returns a message
 * or NULL. */
static const char *xml_check(const char *s)
{
    static char why[160];
    const char *stack[64];
    size_t lengths[64];
    int depth = 0, roots = 0;
    if (strncmp(s, "<?xml ", 6) == 0)
        s = strstr(s, "?>") + 2;
    while (*s) {
        if (*s == '&') {
            if (strncmp(s, "&lt;", 4) && strncmp(s, "&gt;", 4) && strncmp(s, "&amp;", 5) && strncmp(s, "&quot;", 6) &&
                strncmp(s, "&apos;", 6))
                return "a stray '&' in text";
            s++;
            continue;
        }
        if (*s != '<') {
            if (*s == '>')
                return "a stray '>' in text";
            if (depth == 0 && *s != '\n' && *s != ' ')
                return "text outside the root element";
            s++;
            continue;
        }
        if (s[1] == '/') { /* end tag */
            const char *name = s + 2;
            size_t n = strcspn(name, ">");
            if (depth == 0 || n != lengths[depth - 1] || strncmp(name, stack[depth - 1], n))
                return "an end tag that does not match the open element";
            depth--;
            s = name + n + 1;
            continue;
        }
        const char *name = s + 1;
        size_t n = strcspn(name, " \t\n/>");
        if (n == 0)
            return "an element without a name";
        const char *c = name + n;
        for (;;) { /* attributes */
            c += strspn(c, " \t\n");
            if (*c == '>' || (c[0] == '/' && c[1] == '>'))
                break;
            size_t a = strcspn(c, "= \t\n>");
            if (a == 0 || c[a] != '=' || c[a + 1] != '"')
                return "an attribute without a quoted value";
            const char *end = strchr(c + a + 2, '"');
            if (end == NULL)
                return "an unterminated attribute value";
            for (const char *v = c + a + 2; v < end; v++)
                if (*v == '<')
                    return "'<' in an attribute value";
            c = end + 1;
        }
        if (depth == 0 && roots++ > 0)
            return "a second root element";
        if (*c == '/') {
            s = c + 2;
        } else {
            if (depth == 64)
                return "elements nested too deeply";
            stack[depth] = name, lengths[depth] = n, depth++;
            s = c + 1;
        }
    }
    if (depth != 0) {
        snprintf(why, sizeof why, "%d elements left open", depth);
        return why;
    }
    return roots == 1 ? NULL : "no root element";
}

START_TEST(test_xml_checker_rejects)
{
    /* The checker itself must catch what it claims to. */
    ck_assert_ptr_null(xml_check("<a x=\"1\"><b/>t &amp; u</a>\n"));
    ck_assert_ptr_nonnull(xml_check("<a><b></a></b>"));
    ck_assert_ptr_nonnull(xml_check("<a x=1></a>"));
    ck_assert_ptr_nonnull(xml_check("<a>t & u</a>"));
    ck_assert_ptr_nonnull(xml_check("<a>"));
    ck_assert_ptr_nonnull(xml_check("<a/><b/>"));
}
END_TEST

/* The value of attribute name in the element starting at tag, or NAN. */
static double attribute(const char *tag, const char *name)
{
    char key[40];
    snprintf(key, sizeof key, " %s=\"", name);
    const char *end = strchr(tag, '>'), *at = strstr(tag, key);
    return at && at < end ? strtod(at + strlen(key), NULL) : NAN;
}

static int count_of(const char *text, const char *what)
{
    int n = 0;
    for (const char *s = text; (s = strstr(s, what)) != NULL; s++)
        n++;
    return n;
}

static deep_dataset *table(void)
{
    static const char csv[] = "size & weight,city,y\n1,Paris,0\n2,Lyon,1\n2,Paris,0\n3,Nice,1\n3,Lyon,0\n3,Paris,1\n"
                              "4,Nice,0\n10,Lyon,1\n";
    char csv_path[128];
    snprintf(csv_path, sizeof csv_path, "%s/t.csv", dir);
    FILE *f = fopen(csv_path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(csv, f);
    ck_assert_int_eq(fclose(f), 0);
    deep_dataset *d = NULL;
    OK(deep_dataset_load_csv_typed(csv_path, "y", &d));
    unlink(csv_path);
    return d;
}

START_TEST(test_histogram_bars)
{
    deep_dataset *d = table();
    OK(deep_dataset_histogram_svg(d, 0, 3, path));
    double edges[4];
    int64_t counts[3], ne, nc;
    OK(deep_dataset_histogram(d, 0, 3, edges, 4, &ne, counts, 3, &nc));
    char *text = read_text();
    const char *why = xml_check(text);
    ck_assert_msg(why == NULL, "not well-formed: %s", why);
    /* The column's name, escaped, is the title. */
    ck_assert_ptr_nonnull(strstr(text, "<title>size &amp; weight</title>"));
    ck_assert_int_eq(count_of(text, "<rect class=\"bar\""), 3);
    const char *s = text;
    double ratio = NAN, left = -INFINITY;
    for (int i = 0; i < 3; i++) {
        s = strstr(s, "<rect class=\"bar\"");
        ck_assert_double_eq(attribute(s, "data-count"), (double)counts[i]);
        double h = attribute(s, "height"), x = attribute(s, "x"), y = attribute(s, "y");
        ck_assert(x > left); /* bars left to right, in bin order */
        left = x;
        ck_assert_double_eq_tol(y + h, 50 + 320, 1e-2); /* standing on the x axis */
        if (i == 0)
            ratio = h / (double)counts[i];
        else
            ck_assert_double_eq_tol(h, ratio * (double)counts[i], 2e-3);
        s++;
    }
    ck_assert(ratio > 0);
    free(text);
    /* "auto" bins, and a dataset without column names gets "column N". */
    int64_t shape = 1;
    float values[5] = {0.5f, 1.5f, 1.5f, 2.5f, 9.0f};
    deep_dataset *plain = NULL;
    OK(deep_dataset_new(5, 1, &shape, values, &plain));
    OK(deep_dataset_histogram_svg(plain, 0, 0, path));
    OK(deep_dataset_histogram(plain, 0, 0, NULL, 0, &ne, NULL, 0, &nc));
    text = read_text();
    ck_assert_ptr_null(xml_check(text));
    ck_assert_ptr_nonnull(strstr(text, "<title>column 0</title>"));
    ck_assert_int_eq(count_of(text, "<rect class=\"bar\""), (int)nc);
    free(text);
    deep_dataset_free(plain);
    /* Counts 1 and 2: the count axis has whole-number ticks only (the x axis "1.0" ...). */
    OK(deep_dataset_new(3, 1, &shape, (const float[]){1, 2, 2}, &plain));
    OK(deep_dataset_histogram_svg(plain, 0, 2, path));
    text = read_text();
    ck_assert_ptr_nonnull(strstr(text, ">1</text>"));
    ck_assert_ptr_nonnull(strstr(text, ">2</text>"));
    ck_assert_ptr_null(strstr(text, ">0.5</text>"));
    ck_assert_ptr_null(strstr(text, ">1.5</text>"));
    free(text);
    deep_dataset_free(plain);
    deep_dataset_free(d);
}
END_TEST

START_TEST(test_histogram_errors)
{
    deep_dataset *d = table();
    FAILS(deep_dataset_histogram_svg(NULL, 0, 3, path), DEEP_ERR_NULL, "deep_dataset_histogram_svg");
    FAILS(deep_dataset_histogram_svg(d, 0, 3, NULL), DEEP_ERR_NULL, "path");
    FAILS(deep_dataset_histogram_svg(d, 1, 3, path), DEEP_ERR_STATE, "deep_dataset_histogram_svg: column 1");
    FAILS(deep_dataset_histogram_svg(d, 7, 3, path), DEEP_ERR_OUT_OF_RANGE, "deep_dataset_histogram_svg");
    FAILS(deep_dataset_histogram_svg(d, 0, -1, path), DEEP_ERR_INVALID_ARGUMENT, "bins");
    FAILS(deep_dataset_histogram_svg(d, 0, 100001, path), DEEP_ERR_INVALID_ARGUMENT, "100001 bins");
    OK(deep_dataset_histogram_svg(d, 0, 100000, path)); /* the largest picture allowed */
    ck_assert_int_eq(unlink(path), 0);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/no/such/dir.svg", dir);
    FAILS(deep_dataset_histogram_svg(d, 0, 3, missing), DEEP_ERR_IO, missing);
    ck_assert_int_eq(access(path, F_OK), -1); /* nothing written by the failures */
    deep_dataset_free(d);
}
END_TEST

/* A tiny classifier fitted for `epochs` epochs, with validation data when asked. */
static deep_model *fitted(int64_t epochs, bool validation, int metric_count)
{
    int64_t shape = 2;
    float x[16] = {0, 0, 0, 1, 1, 0, 1, 1, 0.2f, 0.1f, 0.9f, 0.8f, 0.1f, 0.9f, 0.8f, 0.2f};
    int32_t y[8] = {0, 1, 1, 0, 0, 0, 1, 1};
    deep_dataset *train = NULL;
    OK(deep_dataset_new(8, 1, &shape, x, &train));
    OK(deep_dataset_set_labels(train, y, 8, 2));
    deep_model *model = NULL;
    OK(deep_model_new(1, &shape, &model));
    OK(deep_model_set_seed(model, 3));
    OK(deep_model_set_int(model, DEEP_MODEL_VERBOSE, 0));
    OK(deep_model_add_dense(model, 4, DEEP_ACTIVATION_RELU, 1));
    OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    deep_optimizer *opt = NULL;
    OK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &opt));
    deep_metric metrics[2] = {DEEP_METRIC_ACCURACY, DEEP_METRIC_MEAN_ABSOLUTE_ERROR};
    OK(deep_model_compile(model, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, metric_count));
    OK(deep_model_fit(model, train, epochs, 4, validation ? train : NULL));
    deep_dataset_free(train);
    return model;
}

/* The number of points of each polyline of class cls, into points; returns how many. */
static int polylines(const char *text, const char *cls, int *points)
{
    char key[64];
    snprintf(key, sizeof key, "<polyline class=\"%s\"", cls);
    int n = 0;
    for (const char *s = text; (s = strstr(s, key)) != NULL; s++) {
        const char *p = strstr(s, "points=\"") + 8, *end = strchr(p, '"');
        int count = 1;
        for (const char *c = p; c < end; c++)
            count += *c == ' ';
        points[n++] = count;
    }
    return n;
}

START_TEST(test_history_curves)
{
    int points[8];
    deep_model *model = fitted(5, true, 2);
    OK(deep_model_history_svg(model, path));
    char *text = read_text();
    const char *why = xml_check(text);
    ck_assert_msg(why == NULL, "not well-formed: %s", why);
    /* Three panels (loss, accuracy, mae), each with both curves of 5 points. */
    ck_assert_int_eq(polylines(text, "train", points), 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(points[i], 5);
    ck_assert_int_eq(polylines(text, "validation", points), 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(points[i], 5);
    ck_assert_int_eq(count_of(text, "<circle class=\"train-point\""), 15);
    ck_assert_ptr_nonnull(strstr(text, ">accuracy</text>"));
    ck_assert_ptr_nonnull(strstr(text, ">mae</text>"));
    ck_assert_ptr_nonnull(strstr(text, ">validation</text>"));
    /* The loss points follow the history: y grows downwards in SVG, so a larger loss
     * sits higher on the page (smaller y). */
    const char *first = strstr(text, "<circle class=\"train-point\"");
    double y1 = attribute(first, "cy"), y2 = attribute(strstr(first + 1, "<circle class=\"train-point\""), "cy");
    double l1, l2;
    OK(deep_model_history(model, 0, DEEP_METRIC_LOSS, 0, &l1));
    OK(deep_model_history(model, 1, DEEP_METRIC_LOSS, 0, &l2));
    ck_assert((l1 > l2) == (y1 < y2));
    free(text);
    deep_model_free(model);

    model = fitted(1, false, 0); /* one epoch, no validation, no metric */
    OK(deep_model_history_svg(model, path));
    text = read_text();
    ck_assert_ptr_null(xml_check(text));
    ck_assert_int_eq(polylines(text, "train", points), 1);
    ck_assert_int_eq(points[0], 1);
    ck_assert_int_eq(polylines(text, "validation", points), 0);
    ck_assert_ptr_null(strstr(text, ">validation</text>"));
    free(text);
    deep_model_free(model);
}
END_TEST

START_TEST(test_history_errors)
{
    int64_t shape = 2;
    deep_model *model = NULL;
    OK(deep_model_new(1, &shape, &model));
    OK(deep_model_add_dense(model, 1, DEEP_ACTIVATION_LINEAR, 1));
    FAILS(deep_model_history_svg(model, path), DEEP_ERR_STATE, "deep_model_history_svg: the model has no history");
    FAILS(deep_model_history_svg(NULL, path), DEEP_ERR_NULL, "deep_model_history_svg");
    FAILS(deep_model_history_svg(model, NULL), DEEP_ERR_NULL, "path");
    deep_model_free(model);
    model = fitted(2, false, 1);
    FAILS(deep_model_history_svg(model, dir), DEEP_ERR_IO, dir); /* a directory is refused */
    deep_model_free(model);
}
END_TEST

START_TEST(test_ticks)
{
    double lo = 0.13, hi = 0.87, first, step;
    int n = deep_svg_ticks(&lo, &hi, 6, true, &first, &step);
    ck_assert_double_eq_tol(step, 0.2, 1e-12);
    ck_assert_double_eq_tol(lo, 0.0, 1e-12);
    ck_assert_double_eq_tol(hi, 1.0, 1e-12);
    ck_assert_int_eq(n, 6);
    lo = hi = 7; /* one value: a range around it */
    n = deep_svg_ticks(&lo, &hi, 6, false, &first, &step);
    ck_assert(lo < 7 && hi > 7 && n >= 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("svg");
    TCase *tc = tcase_create("svg");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_xml_checker_rejects);
    tcase_add_test(tc, test_histogram_bars);
    tcase_add_test(tc, test_histogram_errors);
    tcase_add_test(tc, test_history_curves);
    tcase_add_test(tc, test_history_errors);
    tcase_add_test(tc, test_ticks);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
