/* Scalar, inlinable forms of the activations for loops that fuse several element-wise
 * steps, such as the recurrent cells: exp, sigmoid and tanh written without libm calls so
 * that the compiler vectorises the loops they sit in (with -fno-trapping-math, which the
 * build sets, the clamps become vector min/max), and every activation's value and its
 * derivative in terms of its output.
 *
 * Accuracy over all floats, against double-precision references: exp within 1e-7
 * relative, sigmoid within 2e-7 relative, tanh within 4e-7 (relative and absolute). */
#ifndef DEEP_FASTMATH_H
#define DEEP_FASTMATH_H

#include <stdint.h>
#include <string.h>

#include "core/core.h"

/* Forced, so that they also inline into the wider clones below (GCC does not inline a
 * plain inline function into a caller compiled for another architecture level). */
#define DEEP_ALWAYS_INLINE __attribute__((always_inline))

/* Marks a hot function built twice, for the x86-64 baseline and for x86-64-v3 (AVX2, FMA:
 * twice the vector width), the loader picking the clone the CPU runs (an ifunc). Only
 * with GCC 12 or later on x86-64 ELF; clang 14 accepts the attribute but always runs the
 * baseline clone, so it gets none. */
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#define DEEP_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define DEEP_VECTOR_CLONES
#endif

#define DEEP_LEAKY_RELU_SLOPE 0.3f /* Keras' LeakyReLU default */
#define DEEP_ELU_ALPHA 1.0f

static inline DEEP_ALWAYS_INLINE float deep_bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline DEEP_ALWAYS_INLINE uint32_t deep_float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* e^x: x = n ln2 + r with |r| <= ln2 / 2, Cephes' degree-6 polynomial for e^r, and 2^n
 * added to the exponent bits. Inputs are clamped to where the result is a normal float;
 * a NaN input gives NaN or a finite garbage value, never a trap. */
static inline DEEP_ALWAYS_INLINE float deep_fast_expf(float x)
{
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    const float shifter = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    float t = x * 1.44269504088896341f + shifter;
    float n = t - shifter;
    uint32_t exponent = (deep_float_bits(t) - deep_float_bits(shifter)) << 23;
    float r = x - n * 0.693359375f; /* ln2 in two parts, so n * ln2 is exact */
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    return deep_bits_float(deep_float_bits(p) + exponent);
}

static inline DEEP_ALWAYS_INLINE float deep_fast_sigmoid(float x)
{
    return 1.0f / (1.0f + deep_fast_expf(-x));
}

/* tanh as the odd / even rational minimax approximation Eigen uses for floats, exact to
 * float precision at zero and reaching +-1 at the clamp. */
static inline DEEP_ALWAYS_INLINE float deep_fast_tanh(float x)
{
    const float clamp = 7.90531110763549805f;
    x = x < -clamp ? -clamp : x;
    x = x > clamp ? clamp : x;
    float x2 = x * x;
    float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
    p = x2 * p + -8.60467152213735e-11f;
    p = x2 * p + 5.12229709037114e-08f;
    p = x2 * p + 1.48572235717979e-05f;
    p = x2 * p + 6.37261928875436e-04f;
    p = x2 * p + 4.89352455891786e-03f;
    p = x * p;
    float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
    q = x2 * q + 2.26843463243900e-03f;
    q = x2 * q + 4.89352518554385e-03f;
    return p / q;
}

/* f(x) of an element-wise activation (every one but softmax). Called with a constant
 * activation inside an inlined loop, the switch folds away. */
static inline DEEP_ALWAYS_INLINE float deep_activate(deep_activation activation, float x)
{
    switch (activation) {
    case DEEP_ACTIVATION_RELU:
        return x < 0 ? 0 : x;
    case DEEP_ACTIVATION_SIGMOID:
        return deep_fast_sigmoid(x);
    case DEEP_ACTIVATION_TANH:
        return deep_fast_tanh(x);
    case DEEP_ACTIVATION_LEAKY_RELU:
        return x > 0 ? x : DEEP_LEAKY_RELU_SLOPE * x;
    case DEEP_ACTIVATION_ELU:
        return x > 0 ? x : DEEP_ELU_ALPHA * (deep_fast_expf(x) - 1.0f);
    case DEEP_ACTIVATION_LINEAR:
    case DEEP_ACTIVATION_SOFTMAX:
    default: /* the 1.0 activations: recurrent cells refuse them (graph/model.c) */
        break;
    }
    return x;
}

/* f'(x) written in terms of y = f(x), as the layers keep outputs rather than inputs. */
static inline DEEP_ALWAYS_INLINE float deep_activation_slope(deep_activation activation, float y)
{
    switch (activation) {
    case DEEP_ACTIVATION_RELU:
        return y > 0 ? 1.0f : 0.0f;
    case DEEP_ACTIVATION_SIGMOID:
        return y * (1.0f - y);
    case DEEP_ACTIVATION_TANH:
        return 1.0f - y * y;
    case DEEP_ACTIVATION_LEAKY_RELU:
        return y > 0 ? 1.0f : DEEP_LEAKY_RELU_SLOPE;
    case DEEP_ACTIVATION_ELU:
        return y > 0 ? 1.0f : y + DEEP_ELU_ALPHA;
    case DEEP_ACTIVATION_LINEAR:
    case DEEP_ACTIVATION_SOFTMAX:
    default: /* the 1.0 activations: recurrent cells refuse them (graph/model.c) */
        break;
    }
    return 1.0f;
}

#endif
