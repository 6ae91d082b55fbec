/* Sequence data: padded sequences, next-token windows and vocabularies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_helpers.h"
#include "data/dataset.h"

static char tmpdir[64];

static void assert_features(const deep_dataset *d, int64_t count, int64_t width, const float *want)
{
    ck_assert_int_eq(d->count, count);
    ck_assert_int_eq(d->sample_rank, 1);
    ck_assert_int_eq(d->sample_shape[0], width);
    for (int64_t i = 0; i < count * width; i++)
        ck_assert_msg(d->features[i] == want[i], "feature %lld is %g, expected %g", (long long)i,
                      (double)d->features[i], (double)want[i]);
}

START_TEST(pad_and_truncate_as_keras)
{
    /* keras.utils.pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding=..., truncating=...) */
    const int32_t a[] = {1}, b[] = {2, 3}, c[] = {4, 5, 6};
    const int32_t *seqs[] = {a, b, c};
    const int64_t lengths[] = {1, 2, 3};
    const struct {
        deep_pad_side padding, truncating;
        float want[6];
    } cases[] = {
        {DEEP_PAD_PRE, DEEP_PAD_PRE, {0, 1, 2, 3, 5, 6}},
        {DEEP_PAD_POST, DEEP_PAD_PRE, {1, 0, 2, 3, 5, 6}},
        {DEEP_PAD_PRE, DEEP_PAD_POST, {0, 1, 2, 3, 4, 5}},
        {DEEP_PAD_POST, DEEP_PAD_POST, {1, 0, 2, 3, 4, 5}},
    };
    for (int k = 0; k < COUNT_OF(cases); k++) {
        deep_dataset *d;
        ASSERT_OK(deep_dataset_new_sequences(seqs, lengths, 3, 2, cases[k].padding, cases[k].truncating, &d));
        assert_features(d, 3, 2, cases[k].want);
        ck_assert_ptr_null(d->labels);
        deep_dataset_free(d);
    }
    /* maxlen 0: the longest; an empty sequence (NULL allowed) is all padding. */
    const int32_t *with_empty[] = {a, NULL, c};
    const int64_t empty_lengths[] = {1, 0, 3};
    deep_dataset *d;
    ASSERT_OK(deep_dataset_new_sequences(with_empty, empty_lengths, 3, 0, DEEP_PAD_PRE, DEEP_PAD_PRE, &d));
    assert_features(d, 3, 3, (const float[]){0, 0, 1, 0, 0, 0, 4, 5, 6});
    deep_dataset_free(d);
}
END_TEST

START_TEST(sequences_misuse)
{
    const int32_t a[] = {1, 2}, negative[] = {3, -1};
    const int32_t *seqs[] = {a, negative};
    const int64_t lengths[] = {2, 2}, bad_length[] = {2, -1};
    deep_dataset *d = (deep_dataset *)1;
    const char *f = "deep_dataset_new_sequences";
    ASSERT_FAILS(deep_dataset_new_sequences(seqs, lengths, 1, 2, DEEP_PAD_PRE, DEEP_PAD_PRE, NULL), DEEP_ERR_NULL, f);
    ASSERT_FAILS(deep_dataset_new_sequences(NULL, lengths, 1, 2, DEEP_PAD_PRE, DEEP_PAD_PRE, &d), DEEP_ERR_NULL, f);
    ck_assert_ptr_null(d);
    ASSERT_FAILS(deep_dataset_new_sequences(seqs, NULL, 1, 2, DEEP_PAD_PRE, DEEP_PAD_PRE, &d), DEEP_ERR_NULL, f);
    ASSERT_FAILS_WITH(deep_dataset_new_sequences(seqs, lengths, 0, 2, DEEP_PAD_PRE, DEEP_PAD_PRE, &d),
                      DEEP_ERR_INVALID_ARGUMENT, f, "at least one");
    ASSERT_FAILS_WITH(deep_dataset_new_sequences(seqs, lengths, 1, -1, DEEP_PAD_PRE, DEEP_PAD_PRE, &d),
                      DEEP_ERR_INVALID_ARGUMENT, f, "maxlen");
    ASSERT_FAILS_WITH(deep_dataset_new_sequences(seqs, lengths, 1, 2, (deep_pad_side)2, DEEP_PAD_PRE, &d),
                      DEEP_ERR_INVALID_ARGUMENT, f, "padding");
    ASSERT_FAILS_WITH(deep_dataset_new_sequences(seqs, lengths, 1, 2, DEEP_PAD_PRE, (deep_pad_side)-1, &d),
                      DEEP_ERR_INVALID_ARGUMENT, f, "truncating");
    ASSERT_FAILS_WITH(deep_dataset_new_sequences(seqs, bad_length, 2, 2, DEEP_PAD_PRE, DEEP_PAD_PRE, &d),
                      DEEP_ERR_INVALID_ARGUMENT, f, "sequence 1 has length -1");
    ASSERT_FAILS_WITH(deep_dataset_new_sequences(seqs, lengths, 2, 2, DEEP_PAD_PRE, DEEP_PAD_PRE, &d),
                      DEEP_ERR_OUT_OF_RANGE, f, "id -1 at position 1");
    const int32_t *missing[] = {a, NULL};
    ASSERT_FAILS_WITH(deep_dataset_new_sequences(missing, lengths, 2, 2, DEEP_PAD_PRE, DEEP_PAD_PRE, &d),
                      DEEP_ERR_NULL, f, "sequence 1 is NULL");
    const int64_t zero[] = {0};
    ASSERT_FAILS_WITH(deep_dataset_new_sequences(seqs, zero, 1, 0, DEEP_PAD_PRE, DEEP_PAD_PRE, &d),
                      DEEP_ERR_INVALID_ARGUMENT, f, "empty");
    ck_assert_ptr_null(d);
}
END_TEST

START_TEST(windows)
{
    const int32_t ids[] = {2, 3, 4, 5, 6, 7, 8};
    deep_dataset *d;
    /* Windows of 3 every 2 ids: [2 3 4]->5, [4 5 6]->7; [6 7 8] has no next id. */
    ASSERT_OK(deep_dataset_new_windows(ids, 7, 3, 2, 9, &d));
    assert_features(d, 2, 3, (const float[]){2, 3, 4, 4, 5, 6});
    ck_assert_int_eq(d->num_classes, 9);
    ck_assert_int_eq(d->labels[0], 5);
    ck_assert_int_eq(d->labels[1], 7);
    deep_dataset_free(d);
    ASSERT_OK(deep_dataset_new_windows(ids, 7, 6, 1, 9, &d));
    assert_features(d, 1, 6, (const float[]){2, 3, 4, 5, 6, 7});
    ck_assert_int_eq(d->labels[0], 8);
    deep_dataset_free(d);

    const char *f = "deep_dataset_new_windows";
    ASSERT_FAILS(deep_dataset_new_windows(ids, 7, 3, 1, 9, NULL), DEEP_ERR_NULL, f);
    ASSERT_FAILS(deep_dataset_new_windows(NULL, 7, 3, 1, 9, &d), DEEP_ERR_NULL, f);
    ASSERT_FAILS_WITH(deep_dataset_new_windows(ids, 7, 0, 1, 9, &d), DEEP_ERR_INVALID_ARGUMENT, f, "window 0");
    ASSERT_FAILS_WITH(deep_dataset_new_windows(ids, 7, 3, 0, 9, &d), DEEP_ERR_INVALID_ARGUMENT, f, "stride 0");
    ASSERT_FAILS_WITH(deep_dataset_new_windows(ids, 7, 3, 1, 0, &d), DEEP_ERR_INVALID_ARGUMENT, f, "num_classes");
    ASSERT_FAILS_WITH(deep_dataset_new_windows(ids, 7, 7, 1, 9, &d), DEEP_ERR_SHAPE, f, "no window of 7");
    ASSERT_FAILS_WITH(deep_dataset_new_windows(ids, 7, 3, 1, 8, &d), DEEP_ERR_OUT_OF_RANGE, f,
                      "id 8 at position 6 is outside 0..7");
    ck_assert_ptr_null(d);
}
END_TEST

static deep_vocab *frozen_vocab(deep_token_kind kind, const char *text, int32_t max_size, int64_t min_count)
{
    deep_vocab *v;
    ASSERT_OK(deep_vocab_new(kind, &v));
    ASSERT_OK(deep_vocab_add_text(v, text, (int64_t)strlen(text)));
    ASSERT_OK(deep_vocab_freeze(v, max_size, min_count));
    return v;
}

static void assert_token(const deep_vocab *v, int32_t id, const char *want)
{
    char buf[32];
    int64_t needed;
    ASSERT_OK(deep_vocab_token(v, id, buf, sizeof buf, &needed));
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(needed, (int64_t)strlen(want) + 1);
}

START_TEST(character_vocabulary)
{
    /* Counts: a 3, é 2 (two bytes of UTF-8), b 2, c 1, newline 1. é is seen before b. */
    const char *text = "a\xc3\xa9" "ba\n\xc3\xa9" "bac";
    deep_vocab *v = frozen_vocab(DEEP_TOKENS_CHARACTERS, text, 0, 1);
    int64_t size;
    int32_t id;
    ASSERT_OK(deep_vocab_size(v, &size));
    ck_assert_int_eq(size, 7);
    assert_token(v, 0, "");
    assert_token(v, 1, "<unknown>");
    assert_token(v, 2, "a");
    assert_token(v, 3, "\xc3\xa9");
    assert_token(v, 4, "b");
    assert_token(v, 5, "\n");
    assert_token(v, 6, "c");
    ASSERT_OK(deep_vocab_id(v, "b", &id));
    ck_assert_int_eq(id, 4);
    ASSERT_OK(deep_vocab_id(v, "z", &id));
    ck_assert_int_eq(id, 1);

    int64_t count;
    int32_t ids[8];
    ASSERT_OK(deep_vocab_encode(v, "c\xc3\xa9z", 4, ids, 8, &count));
    ck_assert_int_eq(count, 3);
    ck_assert_int_eq(ids[0], 6);
    ck_assert_int_eq(ids[1], 3);
    ck_assert_int_eq(ids[2], 1);
    /* Sizing first, then a buffer too small. */
    ASSERT_OK(deep_vocab_encode(v, "", 0, NULL, 0, &count));
    ck_assert_int_eq(count, 0);
    ASSERT_OK(deep_vocab_encode(v, "abc", 3, NULL, 0, &count)); /* the size query */
    ck_assert_int_eq(count, 3);
    ASSERT_FAILS_WITH(deep_vocab_encode(v, "abc", 3, ids, 1, &count), DEEP_ERR_BUFFER_TOO_SMALL,
                      "deep_vocab_encode", "needs 3 entries but capacity is 1");
    ck_assert_int_eq(count, 3);
    ids[2] = -7;
    ids[0] = ids[1] = -7;
    ASSERT_FAILS(deep_vocab_encode(v, "cab", 3, ids, 2, &count), DEEP_ERR_BUFFER_TOO_SMALL, "deep_vocab_encode");
    ck_assert_int_eq(count, 3);
    ck_assert_int_eq(ids[0], -7); /* never partly written */
    ck_assert_int_eq(ids[1], -7);
    ck_assert_int_eq(ids[2], -7);
    deep_vocab_free(v);

    /* max_size keeps the most frequent (a and é); min_count drops the rare. */
    v = frozen_vocab(DEEP_TOKENS_CHARACTERS, text, 4, 1);
    ASSERT_OK(deep_vocab_size(v, &size));
    ck_assert_int_eq(size, 4);
    ASSERT_OK(deep_vocab_id(v, "b", &id));
    ck_assert_int_eq(id, 1);
    deep_vocab_free(v);
    v = frozen_vocab(DEEP_TOKENS_CHARACTERS, text, 0, 2);
    ASSERT_OK(deep_vocab_size(v, &size));
    ck_assert_int_eq(size, 5); /* a, é, b */
    deep_vocab_free(v);
}
END_TEST

START_TEST(word_vocabulary_from_files)
{
    char path[96];
    snprintf(path, sizeof path, "%s/words.txt", tmpdir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("the cat\tsat on\r\nthe  mat\n", f);
    fclose(f);
    deep_vocab *v;
    ASSERT_OK(deep_vocab_new(DEEP_TOKENS_WORDS, &v));
    ASSERT_OK(deep_vocab_add_file(v, path));
    ASSERT_OK(deep_vocab_add_text(v, " cat ", 5));
    ASSERT_OK(deep_vocab_freeze(v, 0, 1));
    int64_t size;
    ASSERT_OK(deep_vocab_size(v, &size));
    ck_assert_int_eq(size, 2 + 5);
    assert_token(v, 2, "the"); /* 2 each; "the" came first */
    assert_token(v, 3, "cat");
    assert_token(v, 4, "sat");
    int32_t ids[4];
    int64_t count;
    ASSERT_OK(deep_vocab_encode(v, "mat on dog", 10, ids, 4, &count));
    ck_assert_int_eq(count, 3);
    ck_assert_int_eq(ids[0], 6);
    ck_assert_int_eq(ids[1], 5);
    ck_assert_int_eq(ids[2], 1);
    deep_vocab_free(v);
    unlink(path);
}
END_TEST

START_TEST(vocabulary_misuse)
{
    deep_vocab *v = (deep_vocab *)1;
    ASSERT_FAILS(deep_vocab_new(DEEP_TOKENS_WORDS, NULL), DEEP_ERR_NULL, "deep_vocab_new");
    ASSERT_FAILS_WITH(deep_vocab_new((deep_token_kind)7, &v), DEEP_ERR_INVALID_ARGUMENT, "deep_vocab_new", "kind 7");
    ck_assert_ptr_null(v);
    deep_vocab_free(NULL);
    ASSERT_OK(deep_vocab_new(DEEP_TOKENS_CHARACTERS, &v));

    /* Before freeze: no ids. */
    int64_t size;
    int32_t id, ids[4];
    int64_t count, needed;
    char buf[8];
    ASSERT_FAILS(deep_vocab_size(v, &size), DEEP_ERR_STATE, "deep_vocab_size");
    ASSERT_FAILS(deep_vocab_id(v, "a", &id), DEEP_ERR_STATE, "deep_vocab_id");
    ASSERT_FAILS(deep_vocab_token(v, 0, buf, sizeof buf, &needed), DEEP_ERR_STATE, "deep_vocab_token");
    ASSERT_FAILS(deep_vocab_encode(v, "a", 1, ids, 4, &count), DEEP_ERR_STATE, "deep_vocab_encode");

    /* Invalid UTF-8 (a lone continuation byte, an overlong '/', a surrogate, a cut
     * sequence) is an error naming the byte, and counts nothing. */
    const char *bad[] = {"ab\x80", "\xc0\xaf", "x\xed\xa0\x80", "\xe2\x82"};
    for (int k = 0; k < COUNT_OF(bad); k++)
        ASSERT_FAILS_WITH(deep_vocab_add_text(v, bad[k], (int64_t)strlen(bad[k])), DEEP_ERR_FORMAT,
                          "deep_vocab_add_text", "not UTF-8 at byte");
    ASSERT_FAILS(deep_vocab_add_text(NULL, "a", 1), DEEP_ERR_NULL, "deep_vocab_add_text");
    ASSERT_FAILS(deep_vocab_add_text(v, NULL, 1), DEEP_ERR_NULL, "deep_vocab_add_text");
    ASSERT_FAILS(deep_vocab_add_text(v, "a", -1), DEEP_ERR_INVALID_ARGUMENT, "deep_vocab_add_text");
    ASSERT_OK(deep_vocab_add_text(v, NULL, 0));
    char missing[96];
    snprintf(missing, sizeof missing, "%s/missing.txt", tmpdir);
    ASSERT_FAILS(deep_vocab_add_file(v, missing), DEEP_ERR_IO, "deep_vocab_add_file");
    ASSERT_FAILS(deep_vocab_add_file(v, NULL), DEEP_ERR_NULL, "deep_vocab_add_file");
    ASSERT_OK(deep_vocab_add_text(v, "ab", 2));

    ASSERT_FAILS_WITH(deep_vocab_freeze(v, 2, 1), DEEP_ERR_INVALID_ARGUMENT, "deep_vocab_freeze", "max_size");
    ASSERT_FAILS_WITH(deep_vocab_freeze(v, 0, 0), DEEP_ERR_INVALID_ARGUMENT, "deep_vocab_freeze", "min_count");
    ASSERT_FAILS(deep_vocab_freeze(NULL, 0, 1), DEEP_ERR_NULL, "deep_vocab_freeze");
    ASSERT_OK(deep_vocab_freeze(v, 0, 1));
    ASSERT_OK(deep_vocab_size(v, &size));
    ck_assert_int_eq(size, 4); /* the failed texts added nothing */

    /* After freeze: read-only. */
    ASSERT_FAILS(deep_vocab_freeze(v, 0, 1), DEEP_ERR_STATE, "deep_vocab_freeze");
    ASSERT_FAILS(deep_vocab_add_text(v, "c", 1), DEEP_ERR_STATE, "deep_vocab_add_text");
    ASSERT_FAILS(deep_vocab_add_file(v, missing), DEEP_ERR_STATE, "deep_vocab_add_file");
    ASSERT_FAILS_WITH(deep_vocab_token(v, 4, buf, sizeof buf, &needed), DEEP_ERR_OUT_OF_RANGE, "deep_vocab_token",
                      "id 4 is outside 0..3");
    ASSERT_FAILS(deep_vocab_token(v, -1, buf, sizeof buf, &needed), DEEP_ERR_OUT_OF_RANGE, "deep_vocab_token");
    ASSERT_FAILS(deep_vocab_token(v, 1, buf, 4, &needed), DEEP_ERR_BUFFER_TOO_SMALL, "deep_vocab_token");
    ck_assert_int_eq(needed, 10);
    ASSERT_FAILS(deep_vocab_token(v, 2, buf, sizeof buf, NULL), DEEP_ERR_NULL, "deep_vocab_token");
    ASSERT_FAILS(deep_vocab_id(v, NULL, &id), DEEP_ERR_NULL, "deep_vocab_id");
    ASSERT_FAILS(deep_vocab_size(NULL, &size), DEEP_ERR_NULL, "deep_vocab_size");
    ASSERT_FAILS(deep_vocab_encode(v, "a", 1, ids, 4, NULL), DEEP_ERR_NULL, "deep_vocab_encode");
    ASSERT_FAILS(deep_vocab_encode(v, "\xff", 1, ids, 4, &count), DEEP_ERR_FORMAT, "deep_vocab_encode");
    ASSERT_FAILS(deep_vocab_encode(v, "a", -2, ids, 4, &count), DEEP_ERR_INVALID_ARGUMENT, "deep_vocab_encode");
    deep_vocab_free(v);
}
END_TEST

START_TEST(many_distinct_words)
{
    /* Enough distinct tokens to grow the hash table several times; each keeps its id. */
    enum { WORDS = 5000 };
    char *text = malloc(WORDS * 8);
    ck_assert_ptr_nonnull(text);
    size_t at = 0;
    for (int i = 0; i < WORDS; i++)
        at += (size_t)snprintf(text + at, 8, "w%d ", i);
    deep_vocab *v = frozen_vocab(DEEP_TOKENS_WORDS, text, 0, 1);
    int64_t size;
    int32_t id;
    ASSERT_OK(deep_vocab_size(v, &size));
    ck_assert_int_eq(size, WORDS + 2);
    for (int i = 0; i < WORDS; i += 499) {
        char word[8];
        snprintf(word, sizeof word, "w%d", i);
        ASSERT_OK(deep_vocab_id(v, word, &id));
        ck_assert_int_eq(id, i + 2); /* all once: in order of first appearance */
    }
    deep_vocab_free(v);
    free(text);
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s", "/tmp/libdeep-test-sequences-XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("sequences");
    TCase *tc = tcase_create("sequences");
    tcase_add_test(tc, pad_and_truncate_as_keras);
    tcase_add_test(tc, sequences_misuse);
    tcase_add_test(tc, windows);
    tcase_add_test(tc, character_vocabulary);
    tcase_add_test(tc, word_vocabulary_from_files);
    tcase_add_test(tc, vocabulary_misuse);
    tcase_add_test(tc, many_distinct_words);
    suite_add_tcase(s, tc);
    int status = run_suite(s, CK_NORMAL);
    rmdir(tmpdir);
    return status;
}
