/* Text the library writes — tree JSON, describe tables, CSV files, model files, fit's log
 * lines — must not follow the program's locale: a German program (decimal comma) would
 * otherwise write JSON that no parser reads and CSV files that other machines misread.
 * The suite runs under de_DE.UTF-8, which tests/meson.build generates with localedef into
 * the build directory (LOCPATH); it fails, rather than skips, when that locale is missing. */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deep.h"
#include "check_helpers.h"

/* The library's calls to newlocale go through this wrapper (tests/meson.build links the
 * suite with --wrap=newlocale), so that a test can make the "C" locale unavailable, as
 * when memory runs out. */
locale_t __real_newlocale(int mask, const char *name, locale_t base);
locale_t __wrap_newlocale(int mask, const char *name, locale_t base);
static bool no_c_locale;

locale_t __wrap_newlocale(int mask, const char *name, locale_t base)
{
    if (no_c_locale) {
        errno = ENOMEM;
        return (locale_t)0;
    }
    return __real_newlocale(mask, name, base);
}

static void german(void)
{
    ck_assert_msg(setlocale(LC_ALL, "de_DE.UTF-8") != NULL,
                  "the de_DE.UTF-8 locale is missing (LOCPATH=%s): tests/meson.build generates it with localedef "
                  "from Debian's 'locales' package", getenv("LOCPATH") ? getenv("LOCPATH") : "(unset)");
    char probe[16];
    snprintf(probe, sizeof probe, "%g", 0.5);
    ck_assert_msg(strcmp(probe, "0,5") == 0, "de_DE.UTF-8 is set but printf writes %s, not 0,5", probe);
}

static void back_to_c(void)
{
    setlocale(LC_ALL, "C");
}

/* Four samples of one feature, 0 and 1 apart: the only split is at 0.5. */
static deep_dataset *halves(void)
{
    const float features[] = {0.0f, 0.0f, 1.0f, 1.0f};
    const int32_t labels[] = {0, 0, 1, 1};
    const int64_t shape[] = {1};
    deep_dataset *d = NULL;
    ASSERT_OK(deep_dataset_new(4, 1, shape, features, &d));
    ASSERT_OK(deep_dataset_set_labels(d, labels, 4, 2));
    return d;
}

static char *text_of(deep_status (*dump)(const void *, char *, int64_t, int64_t *), const void *object)
{
    int64_t needed = 0;
    ASSERT_OK(dump(object, NULL, 0, &needed));
    char *text = malloc((size_t)needed);
    ck_assert_ptr_nonnull(text);
    ASSERT_OK(dump(object, text, needed, &needed));
    return text;
}

static deep_status tree_json(const void *tree, char *buffer, int64_t capacity, int64_t *needed)
{
    return deep_tree_to_json(tree, buffer, capacity, needed);
}

static deep_status describe(const void *dataset, char *buffer, int64_t capacity, int64_t *needed)
{
    return deep_dataset_describe_text(dataset, buffer, capacity, needed);
}

START_TEST(tree_json_has_decimal_points)
{
    german();
    deep_dataset *d = halves();
    deep_tree *tree = NULL;
    ASSERT_OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    ASSERT_OK(deep_tree_fit(tree, d));
    char *json = text_of(tree_json, tree);
    ck_assert_msg(strstr(json, "\"threshold\": 0.5,") != NULL, "no threshold 0.5 in %s", json);
    ck_assert_msg(strstr(json, "0,5") == NULL, "a decimal comma in %s", json);
    free(json);
    deep_tree_free(tree);
    deep_dataset_free(d);
    back_to_c();
}
END_TEST

START_TEST(describe_table_has_decimal_points)
{
    german();
    deep_dataset *d = halves();
    char *table = text_of(describe, d);
    /* The mean of 0, 0, 1, 1. */
    ck_assert_msg(strstr(table, " 0.5 ") != NULL, "no mean 0.5 in\n%s", table);
    ck_assert_msg(strstr(table, "0,5") == NULL, "a decimal comma in\n%s", table);
    free(table);
    deep_dataset_free(d);
    back_to_c();
}
END_TEST

START_TEST(csv_files_travel)
{
    german();
    const float features[] = {0.5f, 1.25f, -3.75f, 2.0f};
    const int64_t shape[] = {2};
    deep_dataset *d = NULL;
    ASSERT_OK(deep_dataset_new(2, 1, shape, features, &d));
    char path[] = "/tmp/libdeep-locale-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ASSERT_OK(deep_dataset_write_csv(d, path));
    size_t length = 0;
    uint8_t *bytes = read_all(path, &length);
    ck_assert_ptr_nonnull(bytes);
    char *text = calloc(length + 1, 1);
    memcpy(text, bytes, length);
    ck_assert_msg(strstr(text, "0.5,1.25") != NULL, "the CSV file reads\n%s", text);
    deep_dataset *back = NULL;
    ASSERT_OK(deep_dataset_load_csv(path, NULL, &back));
    deep_tensor *x = NULL;
    ASSERT_OK(deep_dataset_features(back, &x));
    const float *values = NULL;
    ASSERT_OK(deep_tensor_data(x, &values));
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(values[i], features[i]);
    deep_tensor_free(x);
    deep_dataset_free(back);
    free(text);
    free(bytes);
    unlink(path);
    deep_dataset_free(d);
    back_to_c();
}
END_TEST

struct log_capture {
    char line[512];
};

static void capture(void *user, deep_log_level level, const char *message)
{
    (void)level;
    struct log_capture *c = user;
    snprintf(c->line, sizeof c->line, "%s", message);
}

START_TEST(fit_logs_and_model_files_have_decimal_points)
{
    german();
    deep_dataset *d = halves();
    const int64_t input[] = {1};
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, input, &model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_optimizer_set_float(sgd, DEEP_OPT_LEARNING_RATE, 0.25));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0)); /* owns sgd */
    struct log_capture c = {{0}};
    ASSERT_OK(deep_model_set_log(model, capture, &c));
    ASSERT_OK(deep_model_fit(model, d, 1, 4, NULL));
    const char *loss = strstr(c.line, "loss: ");
    ck_assert_msg(loss != NULL && loss[6] >= '0' && loss[6] <= '9' && loss[7] == '.', "the log line is '%s'",
                  c.line);

    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    void *file = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(model, file, size, &size));
    bool written = false;
    for (int64_t i = 0; i + 4 <= size && !written; i++)
        written = memcmp((const char *)file + i, "0.25", 4) == 0;
    ck_assert_msg(written, "the learning rate 0.25 is not in the file as 0.25");
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load_buffer(file, size, &loaded));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_model_optimizer(loaded, &opt));
    double rate = 0;
    ASSERT_OK(deep_optimizer_get_float(opt, DEEP_OPT_LEARNING_RATE, &rate));
    ck_assert_double_eq(rate, 0.25);
    deep_model_free(loaded);
    free(file);
    deep_model_free(model);
    deep_dataset_free(d);
    back_to_c();
}
END_TEST

/* Without the "C" locale (no memory for it), text that programs parse — a model file, a
 * tree's JSON — is refused rather than written with decimal commas, and a model file is
 * not read with the program's locale (which would misread its numbers). */
START_TEST(no_c_locale_is_no_memory_for_files)
{
    german();
    const int64_t input[] = {1};
    deep_model *model = NULL;
    ASSERT_OK(deep_model_new(1, input, &model));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_optimizer_set_float(sgd, DEEP_OPT_LEARNING_RATE, 0.25));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0));
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    void *file = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(model, file, size, &size));
    deep_dataset *d = halves();
    deep_tree *tree = NULL;
    ASSERT_OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    ASSERT_OK(deep_tree_fit(tree, d));

    no_c_locale = true;
    int64_t needed = -1;
    deep_status s = deep_model_save_buffer(model, NULL, 0, &needed);
    ck_assert_msg(s == DEEP_ERR_NO_MEMORY, "save_buffer: %s: %s", deep_status_string(s), deep_last_error());
    ck_assert_int_eq(needed, 0);
    deep_model *loaded = NULL;
    s = deep_model_load_buffer(file, size, &loaded);
    ck_assert_msg(s == DEEP_ERR_NO_MEMORY, "load_buffer: %s: %s", deep_status_string(s), deep_last_error());
    ck_assert_ptr_null(loaded);
    needed = -1;
    s = deep_tree_to_json(tree, NULL, 0, &needed);
    ck_assert_msg(s == DEEP_ERR_NO_MEMORY, "tree_to_json: %s: %s", deep_status_string(s), deep_last_error());
    ck_assert_int_eq(needed, 0);
    no_c_locale = false;

    ASSERT_OK(deep_model_load_buffer(file, size, &loaded));
    deep_model_free(loaded);
    deep_tree_free(tree);
    deep_dataset_free(d);
    free(file);
    deep_model_free(model);
    back_to_c();
}
END_TEST

/* SVG pictures (since 1.1): numbers with a decimal point in a German program, and no
 * file at all when the "C" locale cannot be set up. */
START_TEST(svg_files_have_decimal_points)
{
    german();
    const float features[] = {0.5f, 1.25f, -3.75f, 2.0f};
    const int64_t shape[] = {1};
    deep_dataset *d = NULL;
    ASSERT_OK(deep_dataset_new(4, 1, shape, features, &d));
    char path[] = "/tmp/libdeep-locale-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ASSERT_OK(deep_dataset_histogram_svg(d, 0, 4, path));
    size_t length = 0;
    uint8_t *bytes = read_all(path, &length);
    ck_assert_ptr_nonnull(bytes);
    char *text = calloc(length + 1, 1);
    memcpy(text, bytes, length);
    /* A histogram has no point lists, so any digit,digit is a decimal comma. */
    for (size_t k = 1; k + 1 < length; k++)
        ck_assert_msg(!(text[k] == ',' && isdigit((unsigned char)text[k - 1]) && isdigit((unsigned char)text[k + 1])),
                      "a decimal comma in\n%s", text);
    ck_assert_ptr_nonnull(strstr(text, "width=\"140.000\""));
    ck_assert_ptr_nonnull(strstr(text, ">-3.75 to -2.3125: 1</title>"));
    no_c_locale = true;
    unlink(path);
    deep_status s = deep_dataset_histogram_svg(d, 0, 4, path);
    no_c_locale = false;
    ck_assert_msg(s == DEEP_ERR_NO_MEMORY, "histogram_svg: %s: %s", deep_status_string(s), deep_last_error());
    ck_assert_int_eq(access(path, F_OK), -1);
    free(text);
    free(bytes);
    deep_dataset_free(d);
    back_to_c();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("locale");
    TCase *tc = tcase_create("de_DE");
    tcase_add_test(tc, tree_json_has_decimal_points);
    tcase_add_test(tc, describe_table_has_decimal_points);
    tcase_add_test(tc, csv_files_travel);
    tcase_add_test(tc, fit_logs_and_model_files_have_decimal_points);
    tcase_add_test(tc, no_c_locale_is_no_memory_for_files);
    tcase_add_test(tc, svg_files_have_decimal_points);
    suite_add_tcase(s, tc);
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
