/* Layer names (since 1.3): the library's names read back, names given to layers (checked,
 * unique, skipped by later automatic names), kept by model files, summaries and sub-models. */
#include "check_helpers.h"

static const char *name_of(const deep_model *model, int32_t layer)
{
    static char name[64];
    int64_t needed = 0;
    ASSERT_OK(deep_model_layer_name(model, layer, NULL, 0, &needed));
    ck_assert_int_le(needed, (int64_t)sizeof name);
    ASSERT_OK(deep_model_layer_name(model, layer, name, sizeof name, &needed));
    ck_assert_int_eq(needed, (int64_t)strlen(name) + 1);
    return name;
}

START_TEST(names_given_and_kept)
{
    deep_model *model = NULL, *loaded = NULL, *encoder = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){4}, &model));
    ASSERT_OK(deep_model_add_dense(model, 3, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    ck_assert_str_eq(name_of(model, 0), "dense");
    ck_assert_str_eq(name_of(model, -1), "dense_1");
    ASSERT_OK(deep_model_set_layer_name(model, 0, "code"));
    ASSERT_OK(deep_model_set_layer_name(model, 1, "dense_2"));
    ck_assert_str_eq(name_of(model, 0), "code");
    /* The next Dense would be dense_2, which is taken. */
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    ck_assert_str_eq(name_of(model, 2), "dense_3");
    deep_optimizer *sgd = NULL;
    ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd));
    ASSERT_OK(deep_model_compile(model, sgd, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0));
    ASSERT_OK(deep_model_set_layer_name(model, 2, "head")); /* after compile too */
    char summary[4096];
    int64_t needed = 0;
    ASSERT_OK(deep_model_summary(model, summary, sizeof summary, &needed));
    ck_assert_msg(strstr(summary, "code (Dense)") != NULL, "%s", summary);
    /* Files keep the names, and the weights under them. */
    int64_t size = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &size));
    uint8_t *bytes = malloc((size_t)size);
    ASSERT_OK(deep_model_save_buffer(model, bytes, size, &size));
    bool found = false;
    for (int64_t i = 0; i + 11 <= size && !found; i++)
        found = memcmp(bytes + i, "code/kernel", 11) == 0;
    ck_assert_msg(found, "the file has no tensor code/kernel");
    ASSERT_OK(deep_model_load_buffer(bytes, size, &loaded));
    ck_assert_str_eq(name_of(loaded, 0), "code");
    ck_assert_str_eq(name_of(loaded, 1), "dense_2");
    ck_assert_str_eq(name_of(loaded, 2), "head");
    /* A clone and a sub-model keep them. */
    deep_model *clone = NULL;
    ASSERT_OK(deep_model_clone(loaded, &clone));
    ck_assert_str_eq(name_of(clone, 0), "code");
    ck_assert_str_eq(name_of(clone, 2), "head");
    deep_model_free(clone);
    ASSERT_OK(deep_model_submodel(loaded, (int32_t[]){0}, 1, (int32_t[]){1}, 1, &encoder));
    ck_assert_str_eq(name_of(encoder, 0), "code");
    free(bytes);
    deep_model_free(encoder);
    deep_model_free(loaded);
    deep_model_free(model);
}
END_TEST

START_TEST(bad_names)
{
    deep_model *model = NULL;
    char name[8];
    int64_t needed = 0;
    ASSERT_OK(deep_model_new(1, (int64_t[]){4}, &model));
    ASSERT_FAILS_WITH(deep_model_layer_name(model, 0, name, sizeof name, &needed), DEEP_ERR_OUT_OF_RANGE,
                      "deep_model_layer_name", "layer 0 is outside the model's 0 layers");
    ASSERT_OK(deep_model_add_dense(model, 3, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1));
    ASSERT_FAILS(deep_model_layer_name(NULL, 0, name, sizeof name, &needed), DEEP_ERR_NULL, "deep_model_layer_name");
    ASSERT_FAILS(deep_model_layer_name(model, 0, name, 3, &needed), DEEP_ERR_BUFFER_TOO_SMALL,
                 "deep_model_layer_name");
    ck_assert_int_eq(needed, 6);
    ASSERT_FAILS(deep_model_set_layer_name(model, 0, NULL), DEEP_ERR_NULL, "deep_model_set_layer_name");
    ASSERT_FAILS(deep_model_set_layer_name(NULL, 0, "x"), DEEP_ERR_NULL, "deep_model_set_layer_name");
    ASSERT_FAILS_WITH(deep_model_set_layer_name(model, 2, "x"), DEEP_ERR_OUT_OF_RANGE, "deep_model_set_layer_name",
                      "layer 2 is outside");
    ASSERT_FAILS_WITH(deep_model_set_layer_name(model, 0, ""), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_name", "1 to 47 characters");
    ASSERT_FAILS_WITH(deep_model_set_layer_name(model, 0, "0123456789012345678901234567890123456789012345678"),
                      DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_layer_name", "has 49");
    ASSERT_FAILS_WITH(deep_model_set_layer_name(model, 0, "en/code"), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_name", "without '/'");
    ASSERT_FAILS_WITH(deep_model_set_layer_name(model, 0, "dense_1"), DEEP_ERR_INVALID_ARGUMENT,
                      "deep_model_set_layer_name", "another layer of the model is named 'dense_1'");
    ASSERT_OK(deep_model_set_layer_name(model, 1, "dense_1")); /* its own name */
    ck_assert_str_eq(name_of(model, 0), "dense");
    deep_model_free(model);
}
END_TEST

static Suite *layer_names_suite(void)
{
    Suite *s = suite_create("layer_names");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, names_given_and_kept);
    tcase_add_test(tc, bad_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(layer_names_suite(), CK_NORMAL);
}
