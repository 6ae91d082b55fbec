/* csv_clean: the usual first steps with a table, as one would take them in pandas — load a
 * CSV with a string label column, describe it, fill the missing cells (column means;
 * medians shown for comparison), describe it again and write the cleaned table. Like
 * pandas' df["mpg"].hist(), it also draws the histogram of the first column (before
 * filling, "auto" bins) as an SVG file a browser opens.
 *
 * Usage: csv_clean [input.csv [output.csv [histogram.svg]]]
 * The default input, examples/data/cars.csv (run from the source tree), is a small
 * synthetic table made up for this example in the style of the classic auto-mpg data:
 * five numeric columns with a few cells empty or "NA", and the car's origin as the label.
 * The default outputs are /tmp/cars-clean.csv and /tmp/cars-hist.svg. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <deep.h>

static int check(deep_status status, const char *what)
{
    if (status != DEEP_OK)
        fprintf(stderr, "%s failed: %s (%s)\n", what, deep_last_error(), deep_status_string(status));
    return status != DEEP_OK;
}

/* Prints the describe table: one call for the size, one for the text. */
static int describe(const deep_dataset *data, const char *title)
{
    int64_t needed = 0;
    if (check(deep_dataset_describe_text(data, NULL, 0, &needed), "deep_dataset_describe_text"))
        return 1;
    char *text = malloc((size_t)needed);
    if (text == NULL || check(deep_dataset_describe_text(data, text, needed, &needed), "deep_dataset_describe_text")) {
        free(text);
        return 1;
    }
    printf("\n%s\n%s", title, text);
    free(text);
    return 0;
}

/* Every missing cell of the first column that has one: the value each strategy puts there. */
static int compare_fills(const deep_dataset *data)
{
    int64_t count, columns, missing = 0, column = 0, rank, needed;
    if (check(deep_dataset_count(data, &count), "deep_dataset_count") ||
        check(deep_dataset_sample_shape(data, &columns, 1, &rank), "deep_dataset_sample_shape"))
        return 1;
    while (column < columns && deep_dataset_missing_count(data, column, &missing) == DEEP_OK && missing == 0)
        column++;
    if (column == columns)
        return 0;
    char name[64];
    double mean;
    deep_dataset *copy = NULL;
    deep_tensor *filled = NULL, *raw = NULL;
    const float *before, *after;
    int64_t *all = malloc((size_t)count * sizeof *all);
    for (int64_t i = 0; all && i < count; i++)
        all[i] = i;
    int failed = all == NULL || check(deep_dataset_column_name(data, column, name, sizeof name, &needed), "deep_dataset_column_name") ||
                 check(deep_dataset_describe(data, column, DEEP_STAT_MEAN, &mean), "deep_dataset_describe") ||
                 check(deep_dataset_subset(data, all, count, &copy), "deep_dataset_subset") ||
                 check(deep_dataset_fill_missing(copy, DEEP_FILL_MEDIAN, NULL), "deep_dataset_fill_missing") ||
                 check(deep_dataset_features(data, &raw), "deep_dataset_features") ||
                 check(deep_dataset_features(copy, &filled), "deep_dataset_features") ||
                 check(deep_tensor_data(raw, &before), "deep_tensor_data") ||
                 check(deep_tensor_data(filled, &after), "deep_tensor_data");
    for (int64_t i = 0; !failed && i < count; i++)
        if (isnan(before[i * columns + column])) {
            printf("\n'%s' has %lld missing: mean %.4g, median %.4g\n", name, (long long)missing, mean,
                   (double)after[i * columns + column]);
            break;
        }
    deep_tensor_free(raw);
    deep_tensor_free(filled);
    deep_dataset_free(copy);
    free(all);
    return failed;
}

int main(int argc, char **argv)
{
    const char *input = argc > 1 ? argv[1] : "examples/data/cars.csv";
    const char *output = argc > 2 ? argv[2] : "/tmp/cars-clean.csv";
    const char *plot = argc > 3 ? argv[3] : "/tmp/cars-hist.svg";
    deep_dataset *cars = NULL;
    if (check(deep_dataset_load_csv(input, "origin", &cars), "deep_dataset_load_csv"))
        return 1;

    int64_t rows, missing, needed_name;
    int32_t classes;
    char name[64];
    int failed = check(deep_dataset_count(cars, &rows), "deep_dataset_count") ||
                 check(deep_dataset_num_classes(cars, &classes), "deep_dataset_num_classes") ||
                 check(deep_dataset_missing_count(cars, -1, &missing), "deep_dataset_missing_count");
    if (!failed) {
        printf("%s: %lld rows, %lld missing cells, classes:", input, (long long)rows, (long long)missing);
        for (int32_t c = 0; c < classes && !failed; c++) {
            int64_t needed;
            failed = check(deep_dataset_class_name(cars, c, name, sizeof name, &needed), "deep_dataset_class_name");
            printf(" %d=%s", (int)c, failed ? "?" : name);
        }
        printf("\n");
    }
    if (!failed && !(failed = check(deep_dataset_column_name(cars, 0, name, sizeof name, &needed_name),
                                    "deep_dataset_column_name") ||
                              check(deep_dataset_histogram_svg(cars, 0, 0, plot), "deep_dataset_histogram_svg")))
        printf("histogram of column '%s' (numpy's \"auto\" bins) written to %s\n", name, plot);
    failed = failed || describe(cars, "Before cleaning:") || compare_fills(cars) ||
             check(deep_dataset_fill_missing(cars, DEEP_FILL_MEAN, NULL), "deep_dataset_fill_missing") ||
             describe(cars, "After filling with column means:") ||
             check(deep_dataset_write_csv(cars, output), "deep_dataset_write_csv");
    if (!failed)
        printf("\ncleaned table written to %s\n", output);
    deep_dataset_free(cars);
    return failed;
}
