/* A vocabulary of characters (UTF-8 code points) or words, as Keras' Tokenizer builds one:
 * count the tokens of some texts, then freeze, which numbers them by falling frequency
 * (ties in order of first appearance) from 2 up; 0 is padding and 1 every token left out.
 * Counting uses an open-addressing hash table of the distinct tokens. */
#include <stdlib.h>
#include <string.h>

#include "io/file.h"

#define PAD_ID 0
#define UNKNOWN_ID 1
#define FIRST_ID 2

typedef struct vocab_entry {
    char *token;          /* NUL-terminated UTF-8 */
    size_t length;
    int64_t count;
    int64_t first_seen;   /* order of first appearance */
    int32_t id;           /* after freeze: its id, or UNKNOWN_ID when left out */
} vocab_entry;

struct deep_vocab {
    deep_token_kind kind;
    bool frozen;
    vocab_entry *entries; /* distinct tokens in order of first appearance */
    int64_t entry_count, entry_capacity;
    int64_t *slots;       /* hash table of entry indices, -1 when empty; capacity a power of 2 */
    int64_t slot_capacity;
    vocab_entry **by_id;  /* after freeze: by_id[id - FIRST_ID] */
    int32_t size;         /* after freeze: ids in use, the two reserved ones included */
};

/* FNV-1a */
static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

/* The slot holding the token, or the empty slot where it would go. */
static int64_t find_slot(const deep_vocab *v, const char *s, size_t n)
{
    int64_t mask = v->slot_capacity - 1;
    for (int64_t at = (int64_t)(hash_bytes(s, n) & (uint64_t)mask);; at = (at + 1) & mask) {
        int64_t e = v->slots[at];
        if (e < 0 || (v->entries[e].length == n && memcmp(v->entries[e].token, s, n) == 0))
            return at;
    }
}

static bool grow_slots(deep_vocab *v)
{
    int64_t capacity = v->slot_capacity ? v->slot_capacity * 2 : 1024;
    int64_t *slots = deep_alloc(capacity, sizeof *slots);
    if (slots == NULL)
        return false;
    for (int64_t i = 0; i < capacity; i++)
        slots[i] = -1;
    free(v->slots);
    v->slots = slots;
    v->slot_capacity = capacity;
    for (int64_t e = 0; e < v->entry_count; e++)
        v->slots[find_slot(v, v->entries[e].token, v->entries[e].length)] = e;
    return true;
}

/* Counts one occurrence of the token s[0..n); false when out of memory. */
static bool count_token(deep_vocab *v, const char *s, size_t n)
{
    if ((v->entry_count + 1) * 2 > v->slot_capacity && !grow_slots(v))
        return false;
    int64_t at = find_slot(v, s, n);
    if (v->slots[at] >= 0) {
        v->entries[v->slots[at]].count++;
        return true;
    }
    if (v->entry_count == v->entry_capacity) {
        int64_t capacity = v->entry_capacity ? v->entry_capacity * 2 : 256;
        vocab_entry *entries = realloc(v->entries, (size_t)capacity * sizeof *entries);
        if (entries == NULL)
            return false;
        v->entries = entries;
        v->entry_capacity = capacity;
    }
    char *token = malloc(n + 1);
    if (token == NULL)
        return false;
    memcpy(token, s, n);
    token[n] = '\0';
    v->entries[v->entry_count] = (vocab_entry){token, n, 1, v->entry_count, UNKNOWN_ID};
    v->slots[at] = v->entry_count++;
    return true;
}

/* Length of the UTF-8 sequence starting at s[0] (at most n bytes), 0 when it is invalid:
 * a bad lead or continuation byte, an overlong form, a surrogate, or past U+10FFFF. */
static size_t utf8_length(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (len == 0 || len > n || s[0] > 0xF4 || s[0] == 0xC0 || s[0] == 0xC1)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) || (s[0] == 0xF0 && s[1] < 0x90) ||
        (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return len;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The next token of text[*at..n): its start and length, advancing *at; false at the end. */
static bool next_token(deep_token_kind kind, const char *text, size_t n, size_t *at, size_t *start, size_t *length)
{
    if (kind == DEEP_TOKENS_CHARACTERS) {
        if (*at >= n)
            return false;
        *start = *at;
        *length = utf8_length((const unsigned char *)text + *at, n - *at);
        *at += *length;
        return true;
    }
    while (*at < n && is_space(text[*at]))
        (*at)++;
    if (*at >= n)
        return false;
    *start = *at;
    while (*at < n && !is_space(text[*at]))
        (*at)++;
    *length = *at - *start;
    return true;
}

/* Checks the text is UTF-8 before anything is counted, so a failed call changes nothing. */
static deep_status check_utf8(const char *caller, const char *text, size_t n)
{
    for (size_t at = 0; at < n;) {
        size_t len = utf8_length((const unsigned char *)text + at, n - at);
        if (len == 0)
            return deep_error_set(DEEP_ERR_FORMAT, caller, "the text is not UTF-8 at byte %zu (0x%02x)", at,
                                  (unsigned)(unsigned char)text[at]);
        at += len;
    }
    return DEEP_OK;
}

deep_status deep_vocab_new(deep_token_kind kind, deep_vocab **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    if (kind != DEEP_TOKENS_CHARACTERS && kind != DEEP_TOKENS_WORDS)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "token kind %d is neither DEEP_TOKENS_CHARACTERS (0) nor "
                         "DEEP_TOKENS_WORDS (1)", (int)kind);
    deep_vocab *v = calloc(1, sizeof *v);
    if (v == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory");
    v->kind = kind;
    *out = v;
    return DEEP_OK;
}

void deep_vocab_free(deep_vocab *vocab)
{
    if (vocab == NULL)
        return;
    for (int64_t e = 0; e < vocab->entry_count; e++)
        free(vocab->entries[e].token);
    free(vocab->entries);
    free(vocab->slots);
    free(vocab->by_id);
    free(vocab);
}

static deep_status add_text(const char *caller, deep_vocab *v, const char *text, size_t n)
{
    if (v->frozen)
        return deep_error_set(DEEP_ERR_STATE, caller, "the vocabulary is frozen; add texts before deep_vocab_freeze");
    DEEP_TRY(check_utf8(caller, text, n));
    size_t at = 0, start, length;
    while (next_token(v->kind, text, n, &at, &start, &length))
        if (!count_token(v, text + start, length))
            return deep_error_set(DEEP_ERR_NO_MEMORY, caller, "out of memory after %lld distinct tokens",
                                  (long long)v->entry_count);
    return DEEP_OK;
}

deep_status deep_vocab_add_text(deep_vocab *vocab, const char *text, int64_t length)
{
    DEEP_REQUIRE(vocab);
    if (length < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "length is %lld", (long long)length);
    if (length > 0)
        DEEP_REQUIRE(text);
    return add_text(__func__, vocab, text, (size_t)length);
}

deep_status deep_vocab_add_file(deep_vocab *vocab, const char *path)
{
    DEEP_REQUIRE(vocab);
    DEEP_REQUIRE(path);
    if (vocab->frozen)
        return DEEP_FAIL(DEEP_ERR_STATE, "the vocabulary is frozen; add files before deep_vocab_freeze");
    uint8_t *data;
    size_t length;
    DEEP_TRY(deep_file_read(__func__, path, &data, &length));
    deep_status status = add_text(__func__, vocab, (const char *)data, length);
    free(data);
    return status;
}

static int by_frequency(const void *pa, const void *pb)
{
    const vocab_entry *a = *(vocab_entry *const *)pa, *b = *(vocab_entry *const *)pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->first_seen < b->first_seen ? -1 : a->first_seen > b->first_seen;
}

deep_status deep_vocab_freeze(deep_vocab *vocab, int64_t max_size, int64_t min_count)
{
    DEEP_REQUIRE(vocab);
    if (vocab->frozen)
        return DEEP_FAIL(DEEP_ERR_STATE, "the vocabulary is already frozen");
    if (max_size < 0 || (max_size != 0 && max_size <= FIRST_ID))
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "max_size is %lld; 0 (no limit) or more than the %d reserved ids "
                         "is needed", (long long)max_size, FIRST_ID);
    if (min_count < 1)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "min_count is %lld; 1 or more is needed", (long long)min_count);
    int64_t limit = max_size == 0 || max_size > INT32_MAX ? INT32_MAX : max_size; /* ids are int32_t */
    vocab_entry **order = deep_alloc(vocab->entry_count > 0 ? vocab->entry_count : 1, sizeof *order);
    if (order == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory for %lld tokens", (long long)vocab->entry_count);
    for (int64_t e = 0; e < vocab->entry_count; e++)
        order[e] = &vocab->entries[e];
    qsort(order, (size_t)vocab->entry_count, sizeof *order, by_frequency);
    int64_t kept = 0;
    while (kept < vocab->entry_count && kept + FIRST_ID < limit && order[kept]->count >= min_count) {
        order[kept]->id = (int32_t)(kept + FIRST_ID);
        kept++;
    }
    vocab->by_id = order; /* the first `kept` are the numbered tokens */
    vocab->size = (int32_t)(kept + FIRST_ID);
    vocab->frozen = true;
    return DEEP_OK;
}

static deep_status require_frozen(const char *caller, const deep_vocab *v)
{
    if (!v->frozen)
        return deep_error_set(DEEP_ERR_STATE, caller, "the vocabulary has no ids yet; call deep_vocab_freeze first");
    return DEEP_OK;
}

deep_status deep_vocab_size(const deep_vocab *vocab, int64_t *size)
{
    DEEP_REQUIRE(vocab);
    DEEP_REQUIRE(size);
    DEEP_TRY(require_frozen(__func__, vocab));
    *size = vocab->size;
    return DEEP_OK;
}

static int32_t id_of(const deep_vocab *v, const char *s, size_t n)
{
    if (v->slot_capacity == 0)
        return UNKNOWN_ID;
    int64_t e = v->slots[find_slot(v, s, n)];
    return e < 0 ? UNKNOWN_ID : v->entries[e].id;
}

deep_status deep_vocab_id(const deep_vocab *vocab, const char *token, int32_t *id)
{
    DEEP_REQUIRE(vocab);
    DEEP_REQUIRE(token);
    DEEP_REQUIRE(id);
    DEEP_TRY(require_frozen(__func__, vocab));
    *id = id_of(vocab, token, strlen(token));
    return DEEP_OK;
}

deep_status deep_vocab_token(const deep_vocab *vocab, int32_t id, char *buffer, int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, buffer, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(vocab);
    DEEP_TRY(require_frozen(__func__, vocab));
    if (id < 0 || id >= vocab->size)
        return DEEP_FAIL(DEEP_ERR_OUT_OF_RANGE, "id %d is outside 0..%d", (int)id, (int)vocab->size - 1);
    const char *token = id == PAD_ID ? "" : id == UNKNOWN_ID ? "<unknown>" : vocab->by_id[id - FIRST_ID]->token;
    return deep_output_text(__func__, "the token", buffer, capacity, needed, token);
}

deep_status deep_vocab_encode(const deep_vocab *vocab, const char *text, int64_t length, int32_t *ids,
                              int64_t capacity, int64_t *needed)
{
    DEEP_TRY(deep_output_args(__func__, ids, capacity, needed)); /* first: *needed is 0 after any other failure */
    DEEP_REQUIRE(vocab);
    if (length < 0)
        return DEEP_FAIL(DEEP_ERR_INVALID_ARGUMENT, "length is %lld", (long long)length);
    if (length > 0)
        DEEP_REQUIRE(text);
    DEEP_TRY(require_frozen(__func__, vocab));
    size_t n = (size_t)length;
    DEEP_TRY(check_utf8(__func__, text, n));
    size_t at = 0, start, token_length;
    int64_t tokens = 0;
    while (next_token(vocab->kind, text, n, &at, &start, &token_length))
        tokens++; /* counted first: a short buffer is never partly written */
    bool write;
    DEEP_TRY(deep_output_check(__func__, "the encoding", ids, capacity, needed, tokens, &write));
    at = 0;
    for (int64_t i = 0; write && next_token(vocab->kind, text, n, &at, &start, &token_length); i++)
        ids[i] = id_of(vocab, text + start, token_length);
    return DEEP_OK;
}
