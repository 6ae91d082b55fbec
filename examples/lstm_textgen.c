/* lstm_textgen: the seed's stacked language model, at character level, on any text.
 *
 *   x, y = windows of 40 characters, each labelled with the character after it
 *   model = Sequential([Embedding(vocab, 64), LSTM(64, return_sequences=True), LSTM(64),
 *                       Dense(64, relu), Dense(vocab, softmax)])
 *   model.compile(Adam(), sparse_categorical_crossentropy)
 *
 * After training it writes text: starting from a window of the source, it samples the
 * next character from the model's probabilities sharpened by a temperature, and slides on.
 *
 * Usage: lstm_textgen [TEXT_FILE [EPOCHS [TEMPERATURE]]]
 *   (default /usr/share/common-licenses/GPL-3, which every Debian system has; 30; 0.5)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <deep.h>

#define WINDOW 40
#define STRIDE 3
#define SAMPLE_LENGTH 400

#define CHECK(call)                                                                                  \
    do {                                                                                             \
        deep_status status_ = (call);                                                                \
        if (status_ != DEEP_OK) {                                                                    \
            fprintf(stderr, "error: %s (%s)\n", deep_last_error(), deep_status_string(status_));    \
            goto done;                                                                               \
        }                                                                                            \
    } while (0)

static char *read_file(const char *path, int64_t *length)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    char *text = size > 0 ? malloc((size_t)size) : NULL;
    if (text != NULL && fread(text, 1, (size_t)size, f) != (size_t)size) {
        free(text);
        text = NULL;
    }
    fclose(f);
    *length = size;
    return text;
}

/* Draws an id from p^(1 / temperature), renormalised (the padding and unknown ids, 0 and
 * 1, are never drawn). */
static deep_status sample_id(const float *p, int32_t size, double temperature, deep_rng *rng, int32_t *id)
{
    double total = 0;
    for (int32_t i = 2; i < size; i++)
        total += pow((double)p[i], 1.0 / temperature);
    float u;
    deep_status status = deep_rng_uniform(rng, &u);
    double target = (double)u * total, sum = 0;
    *id = size - 1;
    for (int32_t i = 2; i < size; i++) {
        sum += pow((double)p[i], 1.0 / temperature);
        if (sum > target) {
            *id = i;
            break;
        }
    }
    return status;
}

/* Prints SAMPLE_LENGTH generated characters after the seed window. */
static deep_status generate(const deep_model *model, const deep_vocab *vocab, const int32_t *seed, double temperature,
                            deep_rng *rng)
{
    float window[WINDOW];
    for (int i = 0; i < WINDOW; i++)
        window[i] = (float)seed[i];
    const int64_t shape[] = {1, WINDOW};
    deep_tensor *input = NULL, *output = NULL;
    deep_status status = DEEP_OK;
    for (int step = 0; step < SAMPLE_LENGTH && status == DEEP_OK; step++) {
        int64_t size;
        int32_t id;
        const float *p;
        char token[8];
        int64_t needed;
        status = deep_tensor_new_from(2, shape, window, WINDOW, &input);
        if (status == DEEP_OK)
            status = deep_model_predict(model, input, &output);
        if (status == DEEP_OK)
            status = deep_vocab_size(vocab, &size);
        if (status == DEEP_OK)
            status = deep_tensor_data(output, &p);
        if (status == DEEP_OK)
            status = sample_id(p, (int32_t)size, temperature, rng, &id); /* ids are int32_t */
        if (status == DEEP_OK)
            status = deep_vocab_token(vocab, id, token, sizeof token, &needed);
        if (status == DEEP_OK) {
            fputs(token, stdout);
            memmove(window, window + 1, (WINDOW - 1) * sizeof *window);
            window[WINDOW - 1] = (float)id;
        }
        deep_tensor_free(input);
        deep_tensor_free(output);
        input = output = NULL;
    }
    putchar('\n');
    return status;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/usr/share/common-licenses/GPL-3";
    int epochs = argc > 2 ? atoi(argv[2]) : 30;
    double temperature = argc > 3 ? atof(argv[3]) : 0.5;
    if (epochs < 1 || !(temperature > 0)) {
        fprintf(stderr, "usage: lstm_textgen [TEXT_FILE [EPOCHS >= 1 [TEMPERATURE > 0]]]\n");
        return 2;
    }
    int exit_code = 1;
    int64_t length = 0, count = 0;
    char *text = read_file(path, &length);
    int32_t *ids = NULL;
    deep_vocab *vocab = NULL;
    deep_dataset *windows = NULL;
    deep_model *model = NULL;
    deep_optimizer *adam = NULL;
    deep_rng *rng = NULL;
    if (text == NULL) {
        fprintf(stderr, "error: cannot read %s\n", path);
        return 1;
    }

    CHECK(deep_vocab_new(DEEP_TOKENS_CHARACTERS, &vocab));
    CHECK(deep_vocab_add_text(vocab, text, length));
    CHECK(deep_vocab_freeze(vocab, 0, 1));
    int64_t vocab_size;
    CHECK(deep_vocab_size(vocab, &vocab_size));
    deep_vocab_encode(vocab, text, length, NULL, 0, &count); /* sizes the buffer */
    ids = malloc((size_t)count * sizeof *ids);
    if (ids == NULL)
        goto done;
    CHECK(deep_vocab_encode(vocab, text, length, ids, count, &count));
    CHECK(deep_dataset_new_windows(ids, count, WINDOW, STRIDE, vocab_size, &windows));
    int64_t samples;
    CHECK(deep_dataset_count(windows, &samples));
    printf("%s: %lld characters, %d ids, %lld windows of %d\n", path, (long long)count, (int)vocab_size,
           (long long)samples, WINDOW);

    const int64_t input_shape[] = {WINDOW};
    CHECK(deep_model_new(1, input_shape, &model));
    CHECK(deep_model_set_seed(model, 42));
    CHECK(deep_model_add_embedding(model, vocab_size, 64, 0));
    CHECK(deep_model_add_lstm(model, 64, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 1));
    CHECK(deep_model_add_lstm(model, 64, DEEP_ACTIVATION_TANH, DEEP_ACTIVATION_SIGMOID, 1, 0));
    CHECK(deep_model_add_dense(model, 64, DEEP_ACTIVATION_RELU, 1));
    CHECK(deep_model_add_dense(model, vocab_size, DEEP_ACTIVATION_SOFTMAX, 1));
    CHECK(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam));
    deep_status compiled = deep_model_compile(model, adam, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, NULL, 0);
    adam = NULL; /* the model owns it now, even if compile failed */
    CHECK(compiled);
    CHECK(deep_model_set_log(model, deep_log_console, NULL));
    CHECK(deep_model_fit(model, windows, epochs, 128, NULL));

    /* Seeded from the source text, at a window boundary near its middle. */
    CHECK(deep_rng_new(1, &rng));
    int64_t start = (count / 2 / STRIDE) * STRIDE;
    printf("\nseed: \"");
    for (int64_t i = start; i < start + WINDOW; i++) {
        char token[8];
        int64_t needed;
        CHECK(deep_vocab_token(vocab, ids[i], token, sizeof token, &needed));
        fputs(token, stdout);
    }
    printf("\"\nsample at temperature %.2f:\n", temperature);
    CHECK(generate(model, vocab, ids + start, temperature, rng));
    exit_code = 0;
done:
    free(text);
    free(ids);
    deep_vocab_free(vocab);
    deep_dataset_free(windows);
    deep_model_free(model);
    deep_optimizer_free(adam);
    deep_rng_free(rng);
    return exit_code;
}
