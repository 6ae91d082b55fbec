/* sqlite_clean: a table's way from a database to a model, as one would take it with
 * sqlite3, pandas and scikit-learn — create an SQLite database from a CSV, load the rows of
 * a query with a bound parameter (text columns as categories, NULL as missing), fill the
 * missing cells column by column (SimpleImputer fitted on the training rows), merge with a
 * second CSV on a key column, one-hot encode the text columns, train a random forest and
 * print its accuracy.
 *
 * Usage: sqlite_clean [data_dir]   (default examples/data, run from the source tree)
 * The data: iris_garden.csv is iris with an id, the garden plot each flower grew in and a
 * few cells blanked out; garden_plots.csv tells each plot's soil and sun hours. Both are
 * made up for this example. Needs a libdeep built with SQLite (libsqlite3-dev). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <deep.h>

#define CHECK(call)                                                                              \
    do {                                                                                         \
        deep_status status_ = (call);                                                            \
        if (status_ != DEEP_OK) {                                                                \
            fprintf(stderr, "%s failed: %s (%s)\n", #call, deep_last_error(), deep_status_string(status_)); \
            goto done;                                                                           \
        }                                                                                        \
    } while (0)

int main(int argc, char **argv)
{
    const char *data_dir = argc > 1 ? argv[1] : "examples/data";
    char flowers_csv[512], plots_csv[512], dir[] = "/tmp/sqlite_clean-XXXXXX", database[64];
    snprintf(flowers_csv, sizeof flowers_csv, "%s/iris_garden.csv", data_dir);
    snprintf(plots_csv, sizeof plots_csv, "%s/garden_plots.csv", data_dir);
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(database, sizeof database, "%s/garden.db", dir);
    int failed = 1;
    deep_dataset *csv = NULL, *flowers = NULL, *train = NULL, *test = NULL, *plots = NULL;
    deep_dataset *joined_train = NULL, *joined_test = NULL, *x_train = NULL, *x_test = NULL;
    deep_imputer *imputer = NULL;
    deep_forest *forest = NULL;
    const char *on[] = {"plot"}, *drop[] = {"id"};
    int64_t count, columns, rank;

    /* 1. A database: the CSV written as table "flowers" (pandas to_sql). */
    CHECK(deep_dataset_load_csv_typed(flowers_csv, "species", &csv));
    CHECK(deep_dataset_write_sqlite(csv, database, "flowers", 1));
    /* 2. The rows of a query, its parameter bound (pandas read_sql_query with params). */
    const char *params[] = {"150"};
    CHECK(deep_dataset_load_sqlite(database, "SELECT * FROM flowers WHERE id <= ? ORDER BY id", params, 1, "species",
                                   &flowers));
    CHECK(deep_dataset_count(flowers, &count));
    printf("loaded %lld rows from %s\n", (long long)count, database);
    CHECK(deep_dataset_split(flowers, 0.3, 42, 1, &train, &test));
    /* 3. Missing cells: medians, the plot's most frequent value, all from the training rows. */
    int64_t missing;
    CHECK(deep_dataset_missing_count(train, -1, &missing));
    CHECK(deep_imputer_new(DEEP_FILL_MEDIAN, 0.0, &imputer));
    CHECK(deep_imputer_set_column(imputer, "plot", DEEP_FILL_MOST_FREQUENT, 0.0, NULL));
    CHECK(deep_imputer_fit(imputer, train));
    CHECK(deep_imputer_transform(imputer, train));
    CHECK(deep_imputer_transform(imputer, test));
    printf("filled %lld missing cells of the training rows\n", (long long)missing);
    /* 4. Merge with the plots (pandas merge, how="left"), then one-hot encode the text
     *    columns with the training table's categories, the id dropped. */
    CHECK(deep_dataset_load_csv_typed(plots_csv, NULL, &plots));
    CHECK(deep_dataset_merge(train, plots, on, 1, DEEP_JOIN_LEFT, NULL, NULL, &joined_train));
    CHECK(deep_dataset_merge(test, plots, on, 1, DEEP_JOIN_LEFT, NULL, NULL, &joined_test));
    deep_dataset_free(train);
    deep_dataset_free(test);
    train = test = NULL;
    CHECK(deep_dataset_drop_columns(joined_train, drop, 1, &train));
    CHECK(deep_dataset_drop_columns(joined_test, drop, 1, &test));
    CHECK(deep_dataset_encode(train, NULL, DEEP_ENCODE_ONE_HOT, 0, &x_train));
    CHECK(deep_dataset_encode(test, train, DEEP_ENCODE_ONE_HOT, 1, &x_test));
    CHECK(deep_dataset_sample_shape(x_train, &columns, 1, &rank));
    printf("%lld feature columns after merge and one-hot encoding:", (long long)columns);
    for (int64_t j = 0; j < columns; j++) {
        char name[64];
        int64_t needed;
        CHECK(deep_dataset_column_name(x_train, j, name, sizeof name, &needed));
        printf(" %s", name);
    }
    printf("\n");
    /* 5. A random forest (scikit-learn's defaults, 100 trees). */
    double accuracy;
    CHECK(deep_forest_new(DEEP_TREE_CLASSIFIER, &forest));
    CHECK(deep_forest_set_int(forest, DEEP_TREE_SEED, 0));
    CHECK(deep_forest_fit(forest, x_train));
    CHECK(deep_forest_score(forest, x_test, &accuracy));
    printf("random forest test accuracy: %.4f\n", accuracy);
    failed = 0;
done:
    deep_forest_free(forest);
    deep_imputer_free(imputer);
    deep_dataset_free(csv);
    deep_dataset_free(flowers);
    deep_dataset_free(train);
    deep_dataset_free(test);
    deep_dataset_free(plots);
    deep_dataset_free(joined_train);
    deep_dataset_free(joined_test);
    deep_dataset_free(x_train);
    deep_dataset_free(x_test);
    unlink(database);
    rmdir(dir);
    return failed;
}
