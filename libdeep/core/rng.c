/* xoshiro256** seeded through splitmix64: fast, small state, good statistical quality.
 * The state lives in whichever handle owns it, never in a global. */
#include <math.h>
#include <stdlib.h>

#include "core/core.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void deep_rng_init(struct deep_rng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

uint64_t deep_rng_u64(struct deep_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float deep_rng_float(struct deep_rng *rng)
{
    return (float)(deep_rng_u64(rng) >> 40) * (1.0f / 16777216.0f);
}

uint64_t deep_rng_below(struct deep_rng *rng, uint64_t bound)
{
    /* Rejection keeps every value equally likely. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do {
        x = deep_rng_u64(rng);
    } while (x >= limit);
    return x % bound;
}

float deep_rng_normal(struct deep_rng *rng)
{
    double u1 = ((double)(deep_rng_u64(rng) >> 11) + 1.0) * (1.0 / 9007199254740993.0);
    double u2 = (double)(deep_rng_u64(rng) >> 11) * (1.0 / 9007199254740992.0);
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

void deep_rng_shuffle_i64(struct deep_rng *rng, int64_t *items, int64_t n)
{
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)deep_rng_below(rng, (uint64_t)i + 1);
        int64_t t = items[i];
        items[i] = items[j];
        items[j] = t;
    }
}

deep_status deep_rng_new(uint64_t seed, deep_rng **out)
{
    DEEP_REQUIRE(out);
    *out = NULL;
    deep_rng *rng = malloc(sizeof *rng);
    if (rng == NULL)
        return DEEP_FAIL(DEEP_ERR_NO_MEMORY, "out of memory");
    deep_rng_init(rng, seed);
    *out = rng;
    return DEEP_OK;
}

void deep_rng_free(deep_rng *rng)
{
    free(rng);
}

deep_status deep_rng_seed(deep_rng *rng, uint64_t seed)
{
    DEEP_REQUIRE(rng);
    deep_rng_init(rng, seed);
    return DEEP_OK;
}

deep_status deep_rng_next(deep_rng *rng, uint64_t *out)
{
    DEEP_REQUIRE(rng);
    DEEP_REQUIRE(out);
    *out = deep_rng_u64(rng);
    return DEEP_OK;
}

deep_status deep_rng_uniform(deep_rng *rng, float *out)
{
    DEEP_REQUIRE(rng);
    DEEP_REQUIRE(out);
    *out = deep_rng_float(rng);
    return DEEP_OK;
}
