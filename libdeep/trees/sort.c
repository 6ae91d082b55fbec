/* Sorting a node's feature values with their rows: a radix sort, because the exact
 * splitter sorts every candidate feature at every node and binning sorts every column. */
#include <string.h>

#include "trees/trees.h"

/* Small inputs: insertion sort beats four counting passes. */
#define INSERTION_MAX 48

uint32_t tree_sort_key(float value)
{
    uint32_t bits;
    if (value == 0)
        value = 0.0f; /* -0 and +0 compare equal, so they must share a key */
    memcpy(&bits, &value, sizeof bits);
    /* Flip negatives entirely and set the sign bit of positives: unsigned order = float order. */
    return bits & 0x80000000u ? ~bits : bits | 0x80000000u;
}

float tree_sort_value(uint32_t key)
{
    uint32_t bits = key & 0x80000000u ? key & 0x7fffffffu : ~key;
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

static void insertion_sort(uint32_t *keys, int32_t *rows, int64_t n)
{
    for (int64_t i = 1; i < n; i++) {
        uint32_t k = keys[i];
        int32_t r = rows[i];
        int64_t j = i;
        for (; j > 0 && keys[j - 1] > k; j--) {
            keys[j] = keys[j - 1];
            rows[j] = rows[j - 1];
        }
        keys[j] = k;
        rows[j] = r;
    }
}

void tree_sort(uint32_t *keys, int32_t *rows, int64_t n, uint32_t *tmp_keys, int32_t *tmp_rows)
{
    if (n <= INSERTION_MAX) {
        insertion_sort(keys, rows, n);
        return;
    }
    int64_t counts[4][256] = {{0}};
    for (int64_t i = 0; i < n; i++)
        for (int d = 0; d < 4; d++)
            counts[d][(keys[i] >> (8 * d)) & 0xff]++;
    uint32_t *src_k = keys, *dst_k = tmp_keys;
    int32_t *src_r = rows, *dst_r = tmp_rows;
    for (int d = 0; d < 4; d++) {
        int64_t *c = counts[d];
        if (c[(keys[0] >> (8 * d)) & 0xff] == n)
            continue; /* every key shares this digit: the pass would not move anything */
        int64_t sum = 0;
        for (int b = 0; b < 256; b++) {
            int64_t t = c[b];
            c[b] = sum;
            sum += t;
        }
        for (int64_t i = 0; i < n; i++) {
            int64_t at = c[(src_k[i] >> (8 * d)) & 0xff]++;
            dst_k[at] = src_k[i];
            dst_r[at] = src_r[i];
        }
        uint32_t *tk = src_k;
        src_k = dst_k;
        dst_k = tk;
        int32_t *tr = src_r;
        src_r = dst_r;
        dst_r = tr;
    }
    if (src_k != keys) {
        memcpy(keys, src_k, (size_t)n * sizeof *keys);
        memcpy(rows, src_r, (size_t)n * sizeof *rows);
    }
}
