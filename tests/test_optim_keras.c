/* The optimizers, options and schedules of 1.1 against Keras 3's own formulas: Nadam,
 * AdamW, Adamax, AMSGrad, weight decay, clipnorm / clipvalue / global_clipnorm and the
 * learning-rate schedules, three steps on two weight tensors, compared with the numbers
 * that the numpy script below prints (Keras' update rules written out in float64; Keras
 * itself computes in float32, so both sides agree to about 1e-7).
 *
 * PyTorch 1.13 (Debian's python3-torch) on the same three steps, largest difference from
 * the Keras numbers below: AdamW (weight_decay 0.1) 4.1e-6 and AMSGrad (beta_2 0.5) 4.7e-8,
 * the same algorithm up to Adam's epsilon (Keras adds it to sqrt(v) with the bias
 * correction folded into the rate, PyTorch to the corrected sqrt(v)); PyTorch's default
 * weight_decay is 0.01, Keras' 0.004. Adamax 2.1e-11 with epsilon 1e-7 but 8.5e-5 with
 * epsilon 0.01: PyTorch takes max(beta_2 u, |g| + eps), Keras divides by u + eps. NAdam
 * differs (4.8e-3): PyTorch's momentum schedule is beta_1 (1 - 0.5 * 0.96^(0.004 t)) by
 * default (momentum_decay), Keras' beta_1 (1 - 0.5 * 0.96^t), and their bias corrections
 * differ too (1.8e-3 still with momentum_decay 1). libdeep follows Keras.
 *
 * The script (tests/optim_keras_reference.py in spirit; kept here so the numbers and
 * their source stay together):
 *
 * # Keras 3's update rules (keras/src/optimizers/{base_optimizer,adam,nadam,adamax}.py,
 * # schedules/learning_rate_schedule.py) in float64 numpy.
 * import numpy as np
 * np.set_printoptions(precision=9)
 * W0 = np.array([0.5, -1.0, 2.0, 0.25, -0.75])            # two tensors: [0:2] and [2:5]
 * G = [np.array([0.3, -1.2, 0.8, 2.5, -0.1]),
 *      np.array([-0.6, 0.4, 1.5, -2.0, 0.05]),
 *      np.array([0.1, 0.2, -0.3, 0.4, -0.5])]
 * TENSORS = [slice(0, 2), slice(2, 5)]
 *
 * def clip(g, clipnorm=0, clipvalue=0, global_clipnorm=0):
 *     g = g.copy()
 *     if clipnorm:
 *         for t in TENSORS:
 *             g[t] = g[t] * clipnorm / max(np.linalg.norm(g[t]), clipnorm)
 *     elif global_clipnorm:
 *         n = np.linalg.norm(g)
 *         g = g * global_clipnorm * min(1 / n, 1 / global_clipnorm)
 *     elif clipvalue:
 *         g = np.clip(g, -clipvalue, clipvalue)
 *     return g
 *
 * def run(kind, lr=0.1, b1=0.9, b2=0.999, eps=1e-7, wd=0, decayed=(True, True), amsgrad=False,
 *         momentum=0.0, schedule=None, **clipping):
 *     w = W0.copy(); m = np.zeros(5); v = np.zeros(5); vh = np.zeros(5); u_product = 1.0
 *     out = []
 *     for it, g in enumerate(G):               # it: Keras' iterations before the step
 *         rate = schedule(it) if schedule else lr
 *         g = clip(g, **clipping)
 *         for t, d in zip(TENSORS, decayed):
 *             if wd and d:
 *                 w[t] = w[t] - w[t] * wd * rate
 *         t = it + 1
 *         if kind == "sgd":
 *             m = momentum * m - rate * g; w = w + m
 *         elif kind == "adam":
 *             alpha = rate * np.sqrt(1 - b2**t) / (1 - b1**t)
 *             m += (g - m) * (1 - b1); v += (g * g - v) * (1 - b2)
 *             if amsgrad:
 *                 vh = np.maximum(vh, v); w = w - m * alpha / (np.sqrt(vh) + eps)
 *             else:
 *                 w = w - m * alpha / (np.sqrt(v) + eps)
 *         elif kind == "nadam":
 *             u_product *= b1 * (1 - 0.5 * 0.96**t)            # _backend_update_step
 *             u_t = b1 * (1 - 0.5 * 0.96**t); u_t1 = b1 * (1 - 0.5 * 0.96**(t + 1))
 *             m += (g - m) * (1 - b1); v += (g * g - v) * (1 - b2)
 *             m_hat = u_t1 * m / (1 - u_product * u_t1) + (1 - u_t) * g / (1 - u_product)
 *             v_hat = v / (1 - b2**t)
 *             w = w - m_hat * rate / (np.sqrt(v_hat) + eps)
 *         elif kind == "adamax":
 *             m += (g - m) * (1 - b1); v = np.maximum(b2 * v, np.abs(g))
 *             w = w - rate * m / ((1 - b1**t) * (v + eps))
 *         out.append(w.copy())
 *     return out
 *
 * def exponential(initial, steps, rate, staircase):
 *     return lambda s: initial * rate ** (np.floor(s / steps) if staircase else s / steps)
 *
 * def piecewise(boundaries, values):
 *     def f(s):
 *         for b, v in zip(boundaries, values):
 *             if s <= b:
 *                 return v
 *         return values[-1]
 *     return f
 *
 * def cosine(initial, steps, alpha=0.0, target=None, warmup=0):
 *     def decay(s, frm):
 *         return frm * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * s / steps)) + alpha)
 *     def f(s):
 *         if target is None:
 *             return decay(min(s, steps), initial)
 *         s = min(s, steps + warmup)
 *         if s < warmup:
 *             return (target - initial) * s / warmup + initial
 *         return decay(s - warmup, target)
 *     return f
 *
 * CASES = {
 *     "nadam": dict(kind="nadam"),
 *     "nadam_b": dict(kind="nadam", b1=0.5, b2=0.75, eps=0.01),
 *     "adamw": dict(kind="adam", wd=0.1),
 *     "adamw_amsgrad": dict(kind="adam", wd=0.1, b2=0.5, amsgrad=True),
 *     "adam_b2": dict(kind="adam", b2=0.5),
 *     "adamax": dict(kind="adamax"),
 *     "adamax_b": dict(kind="adamax", b1=0.5, b2=0.75, eps=0.01),
 *     "adam_amsgrad": dict(kind="adam", b2=0.5, amsgrad=True),
 *     "sgd_decay_first_only": dict(kind="sgd", momentum=0.9, wd=0.5, decayed=(True, False)),
 *     "sgd_clipnorm": dict(kind="sgd", clipnorm=1.0),
 *     "sgd_clipvalue": dict(kind="sgd", clipvalue=0.5),
 *     "adam_global_clipnorm": dict(kind="adam", global_clipnorm=1.0),
 *     "sgd_exponential": dict(kind="sgd", schedule=exponential(0.1, 2, 0.5, False)),
 *     "sgd_exponential_staircase": dict(kind="sgd", schedule=exponential(0.1, 2, 0.5, True)),
 *     "sgd_piecewise": dict(kind="sgd", schedule=piecewise([0, 1], [0.1, 0.05, 0.01])),
 *     "adamw_cosine_warmup": dict(kind="adam", wd=0.1, schedule=cosine(0.0, 4, 0.1, 0.2, 2)),
 * }
 * if __name__ == "__main__":
 *     for name, c in CASES.items():
 *         rows = run(**c)
 *         print("    {\"%s\", {" % name)
 *         for r in rows:
 *             print("        {" + ", ".join("%.9g" % x for x in r) + "},")
 *         print("    }},")
 *     for name, f in [("exp", exponential(0.1, 3, 0.5, False)), ("exp_stair", exponential(0.1, 3, 0.5, True)),
 *                     ("piece", piecewise([2, 5], [1.0, 0.5, 0.25])), ("cos", cosine(0.1, 4, 0.2)),
 *                     ("cos_warm", cosine(0.0, 4, 0.1, 0.2, 2))]:
 *         print(name, ", ".join("%.12g" % f(s) for s in range(9)))
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include "check_helpers.h"
#include "graph/optimize.h"
#include "optim/optim.h"
#include "optim/schedule.h"

static const float W0[5] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f};
static const float G[3][5] = {{0.3f, -1.2f, 0.8f, 2.5f, -0.1f},
                              {-0.6f, 0.4f, 1.5f, -2.0f, 0.05f},
                              {0.1f, 0.2f, -0.3f, 0.4f, -0.5f}};
static const int64_t TENSOR_SIZES[2] = {2, 3};

static deep_schedule *exponential_2(void)
{
    deep_schedule *s = NULL;
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.1, 2, 0.5, 0, &s), DEEP_OK);
    return s;
}

static deep_schedule *exponential_2_staircase(void)
{
    deep_schedule *s = NULL;
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.1, 2, 0.5, 1, &s), DEEP_OK);
    return s;
}

static deep_schedule *piecewise_0_1(void)
{
    static const int64_t boundaries[] = {0, 1};
    static const double values[] = {0.1, 0.05, 0.01};
    deep_schedule *s = NULL;
    ck_assert_int_eq(deep_schedule_new_piecewise_constant_decay(boundaries, 2, values, &s), DEEP_OK);
    return s;
}

static deep_schedule *cosine_warmup(void)
{
    deep_schedule *s = NULL;
    ck_assert_int_eq(deep_schedule_new_cosine_decay(0.0, 4, 0.1, 0.2, 2, &s), DEEP_OK);
    return s;
}

typedef struct keras_case {
    const char *name;
    deep_optimizer_kind kind;
    struct {
        deep_optimizer_option option;
        float value;
    } settings[4];
    deep_schedule *(*schedule)(void);
    bool decays[2];
    double expected[3][5]; /* the weights after steps 1, 2 and 3 */
} keras_case;

static const keras_case cases[] = {
    {"nadam", DEEP_OPTIMIZER_NADAM, {{DEEP_OPT_LEARNING_RATE, 0.1f}}, NULL, {1, 1},
     {{0.393721255, -0.893721229, 1.89372123, 0.143721224, -0.643721326},
      {0.48188781, -0.919202997, 1.80017149, 0.201934068, -0.682980802},
      {0.470297569, -0.931349791, 1.80772017, 0.18801129, -0.578026697}}},
    {"nadam_b", DEEP_OPTIMIZER_NADAM, {{DEEP_OPT_LEARNING_RATE, 0.1f}, {DEEP_OPT_BETA_1, 0.5f}, {DEEP_OPT_BETA_2, 0.75f}, {DEEP_OPT_EPSILON, 0.01f}}, NULL, {1, 1},
     {{0.389197303, -0.886450129, 1.88691741, 0.13596004, -0.645912618},
      {0.495346179, -0.919997524, 1.77187836, 0.210915547, -0.691795949},
      {0.481052741, -0.944566023, 1.78491587, 0.193488279, -0.563745145}}},
    {"adamw", DEEP_OPTIMIZER_ADAMW, {{DEEP_OPT_LEARNING_RATE, 0.1f}, {DEEP_OPT_WEIGHT_DECAY, 0.1f}}, NULL, {1, 1},
     {{0.395001054, -0.890000264, 1.8800004, 0.147500126, -0.642503162},
      {0.427661224, -0.841078504, 1.7640143, 0.140212626, -0.60944518},
      {0.441950445, -0.812096924, 1.68350172, 0.126426165, -0.536517843}}},
    {"adamw_amsgrad", DEEP_OPTIMIZER_ADAMW, {{DEEP_OPT_LEARNING_RATE, 0.1f}, {DEEP_OPT_WEIGHT_DECAY, 0.1f}, {DEEP_OPT_BETA_2, 0.5f}, {DEEP_OPT_AMSGRAD, 1}}, NULL, {1, 1},
     {{0.395000047, -0.890000012, 1.88000002, 0.147500006, -0.642500141},
      {0.424475581, -0.844572537, 1.77193559, 0.13998775, -0.610291074},
      {0.435341656, -0.819367135, 1.70251263, 0.127158107, -0.552247035}}},
    {"adam_b2", DEEP_OPTIMIZER_ADAM, {{DEEP_OPT_LEARNING_RATE, 0.1f}, {DEEP_OPT_BETA_2, 0.5f}}, NULL, {1, 1},
     {{0.400000047, -0.900000012, 1.90000002, 0.150000006, -0.650000141},
      {0.433425582, -0.853273911, 1.81073559, 0.14396275, -0.620227273},
      {0.454286641, -0.824245301, 1.74004917, 0.128149819, -0.568286145}}},
    {"adamax", DEEP_OPTIMIZER_ADAMAX, {{DEEP_OPT_LEARNING_RATE, 0.1f}}, NULL, {1, 1},
     {{0.400000033, -0.900000008, 1.90000001, 0.150000004, -0.6500001},
      {0.428947397, -0.870145595, 1.82210528, 0.144731578, -0.628926416},
      {0.441075144, -0.857451093, 1.78029225, 0.135488008, -0.589369228}}},
    {"adamax_b", DEEP_OPTIMIZER_ADAMAX, {{DEEP_OPT_LEARNING_RATE, 0.1f}, {DEEP_OPT_BETA_1, 0.5f}, {DEEP_OPT_BETA_2, 0.75f}, {DEEP_OPT_EPSILON, 0.01f}}, NULL, {1, 1},
     {{0.403225806, -0.900826446, 1.90123457, 0.150398406, -0.659090909},
      {0.452406134, -0.886174432, 1.81734936, 0.175274028, -0.659090909},
      {0.467934085, -0.894516455, 1.78462437, 0.174327954, -0.6030685}}},
    {"adam_amsgrad", DEEP_OPTIMIZER_ADAM, {{DEEP_OPT_LEARNING_RATE, 0.1f}, {DEEP_OPT_BETA_2, 0.5f}, {DEEP_OPT_AMSGRAD, 1}}, NULL, {1, 1},
     {{0.400000047, -0.900000012, 1.90000002, 0.150000006, -0.650000141},
      {0.433425582, -0.863472537, 1.81073559, 0.14396275, -0.624216075},
      {0.448536413, -0.84671286, 1.75903199, 0.132532985, -0.572274947}}},
    {"sgd_decay_first_only", DEEP_OPTIMIZER_SGD, {{DEEP_OPT_LEARNING_RATE, 0.1f}, {DEEP_OPT_MOMENTUM, 0.9f}, {DEEP_OPT_WEIGHT_DECAY, 0.5f}}, NULL, {1, 0},
     {{0.445, -0.83, 1.92, 0, -0.74},
      {0.45575, -0.7205, 1.698, -0.025, -0.736},
      {0.4526625, -0.643275, 1.5282, -0.0875, -0.6824}}},
    {"sgd_clipnorm", DEEP_OPTIMIZER_SGD, {{DEEP_OPT_LEARNING_RATE, 0.1f}, {DEEP_OPT_CLIPNORM, 1}}, NULL, {1, 1},
     {{0.475746437, -0.90298575, 1.96954452, 0.154826627, -0.746193065},
      {0.535746437, -0.94298575, 1.90955652, 0.234810631, -0.748192665},
      {0.525746437, -0.96298575, 1.93955652, 0.194810631, -0.698192665}}},
    {"sgd_clipvalue", DEEP_OPTIMIZER_SGD, {{DEEP_OPT_LEARNING_RATE, 0.1f}, {DEEP_OPT_CLIPVALUE, 0.5f}}, NULL, {1, 1},
     {{0.47, -0.95, 1.95, 0.2, -0.74},
      {0.52, -0.99, 1.9, 0.25, -0.745},
      {0.51, -1.01, 1.93, 0.21, -0.695}}},
    {"adam_global_clipnorm", DEEP_OPTIMIZER_ADAM, {{DEEP_OPT_LEARNING_RATE, 0.1f}, {DEEP_OPT_GLOBAL_CLIPNORM, 1}}, NULL, {1, 1},
     {{0.40000306, -0.900000765, 1.90000115, 0.150000367, -0.650009181},
      {0.440522719, -0.863151127, 1.8039712, 0.149586279, -0.627766788},
      {0.446122462, -0.863621057, 1.76395249, 0.128350112, -0.562732404}}},
    {"sgd_exponential", DEEP_OPTIMIZER_SGD, {{0}}, exponential_2, {1, 1},
     {{0.47, -0.88, 1.92, 0, -0.74},
      {0.512426407, -0.908284271, 1.81393398, 0.141421356, -0.743535534},
      {0.507426407, -0.918284271, 1.82893398, 0.121421356, -0.718535534}}},
    {"sgd_exponential_staircase", DEEP_OPTIMIZER_SGD, {{0}}, exponential_2_staircase, {1, 1},
     {{0.47, -0.88, 1.92, 0, -0.74},
      {0.53, -0.92, 1.77, 0.2, -0.745},
      {0.525, -0.93, 1.785, 0.18, -0.72}}},
    {"sgd_piecewise", DEEP_OPTIMIZER_SGD, {{0}}, piecewise_0_1, {1, 1},
     {{0.47, -0.88, 1.92, 0, -0.74},
      {0.5, -0.9, 1.845, 0.1, -0.7425},
      {0.499, -0.902, 1.848, 0.096, -0.7375}}},
    {"adamw_cosine_warmup", DEEP_OPTIMIZER_ADAMW, {{DEEP_OPT_WEIGHT_DECAY, 0.1f}}, cosine_warmup, {1, 1},
     {{0.5, -1, 2, 0.25, -0.75},
      {0.53161018, -0.949978243, 1.8828139, 0.241687501, -0.71586705},
      {0.558109644, -0.889837089, 1.71941277, 0.21208508, -0.567883937}}},
};
#define CASE_COUNT ((int)(sizeof cases / sizeof cases[0]))

static deep_optimizer *make_case(const keras_case *c)
{
    deep_optimizer *opt = NULL;
    ck_assert_int_eq(deep_optimizer_new(c->kind, &opt), DEEP_OK);
    for (int i = 0; i < 4 && c->settings[i].option; i++)
        ck_assert_int_eq(deep_optimizer_set_float(opt, c->settings[i].option, c->settings[i].value), DEEP_OK);
    if (c->schedule != NULL)
        ck_assert_int_eq(deep_optimizer_set_schedule(opt, c->schedule()), DEEP_OK);
    const int64_t total = 5;
    ck_assert_int_eq(deep_optimizer_bind(opt, 1, &total), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_tensors(opt, 2, TENSOR_SIZES, c->decays), DEEP_OK);
    return opt;
}

/* Updates in two ranges, [0, 3) and [3, 5): the first crosses the boundary of the two
 * tensors, as the model's threads' ranges do. */
static void step(deep_optimizer *opt, float *w, int s)
{
    deep_optimizer_begin_step(opt, G[s]);
    deep_optimizer_update(opt, 0, w, G[s], 0, 3);
    deep_optimizer_update(opt, 0, w, G[s], 3, 5);
}

START_TEST(matches_keras)
{
    const keras_case *c = &cases[_i];
    deep_optimizer *opt = make_case(c);
    float w[5];
    memcpy(w, W0, sizeof w);
    float g_before[3][5];
    memcpy(g_before, G, sizeof g_before);
    for (int s = 0; s < 3; s++) {
        step(opt, w, s);
        for (int i = 0; i < 5; i++)
            ck_assert_msg(fabs(w[i] - c->expected[s][i]) < 2e-6, "%s step %d weight %d: %.9g, Keras %.9g", c->name,
                          s + 1, i, (double)w[i], c->expected[s][i]);
    }
    ck_assert_mem_eq(g_before, G, sizeof g_before); /* clipping works on a copy */
    deep_optimizer_free(opt);
}
END_TEST

/* A resumed optimizer (a model file's state and step count) continues exactly: Nadam's
 * running product of its momentum schedule comes back from the step count. */
START_TEST(resumes_from_state_and_step)
{
    const keras_case *c = &cases[_i];
    deep_optimizer *run = make_case(c), *resumed = make_case(c);
    float w[5], r[5];
    memcpy(w, W0, sizeof w);
    step(run, w, 0);
    step(run, w, 1);
    memcpy(r, w, sizeof r);
    ck_assert_int_eq(deep_optimizer_state_count(run), deep_optimizer_state_count(resumed));
    for (int32_t k = 0; k < deep_optimizer_state_count(run); k++)
        memcpy(deep_optimizer_state(resumed, k), deep_optimizer_state(run, k), 5 * sizeof(float));
    deep_optimizer_set_step(resumed, deep_optimizer_step(run));
    step(run, w, 2);
    step(resumed, r, 2);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(fabsf(w[i] - r[i]) <= 1e-7f * (1 + fabsf(w[i])), "%s weight %d: %.9g resumed %.9g", c->name, i,
                      (double)w[i], (double)r[i]);
    deep_optimizer_free(run);
    deep_optimizer_free(resumed);
}
END_TEST

/* Nadam's product past the 2500 steps it multiplies out (then beta_1 per step). */
START_TEST(nadam_product_for_huge_steps)
{
    deep_optimizer *opt = NULL;
    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_NADAM, &opt), DEEP_OK);
    const int64_t total = 1;
    ck_assert_int_eq(deep_optimizer_bind(opt, 1, &total), DEEP_OK);
    deep_optimizer_set_step(opt, INT64_MAX - 1); /* a file may say so: must not loop that long */
    float w = 1, g = 1;
    deep_optimizer_begin_step(opt, NULL);
    deep_optimizer_update(opt, 0, &w, &g, 0, 1);
    ck_assert(isfinite(w));
    deep_optimizer_free(opt);
}
END_TEST

static double option(const deep_optimizer *opt, deep_optimizer_option o)
{
    double v = NAN;
    ck_assert_int_eq(deep_optimizer_get_float(opt, o, &v), DEEP_OK);
    return v;
}

START_TEST(defaults_match_keras)
{
    static const deep_optimizer_kind adam_like[] = {DEEP_OPTIMIZER_NADAM, DEEP_OPTIMIZER_ADAMW, DEEP_OPTIMIZER_ADAMAX};
    for (int k = 0; k < 3; k++) {
        deep_optimizer *opt = NULL;
        ck_assert_int_eq(deep_optimizer_new(adam_like[k], &opt), DEEP_OK);
        ck_assert_float_eq(option(opt, DEEP_OPT_LEARNING_RATE), 0.001f);
        ck_assert_float_eq(option(opt, DEEP_OPT_BETA_1), 0.9f);
        ck_assert_float_eq(option(opt, DEEP_OPT_BETA_2), 0.999f);
        ck_assert_float_eq(option(opt, DEEP_OPT_EPSILON), 1e-7f);
        ck_assert_float_eq(option(opt, DEEP_OPT_WEIGHT_DECAY), adam_like[k] == DEEP_OPTIMIZER_ADAMW ? 0.004f : 0);
        double v;
        ck_assert_int_eq(deep_optimizer_get_float(opt, DEEP_OPT_AMSGRAD, &v),
                         adam_like[k] == DEEP_OPTIMIZER_ADAMW ? DEEP_OK : DEEP_ERR_INVALID_ARGUMENT);
        deep_optimizer_free(opt);
    }
    /* The base-optimizer options apply to every kind, off by default (AdamW's decay aside). */
    for (int32_t i = 0; i < deep_optimizer_kind_count(); i++) {
        deep_optimizer *opt = NULL;
        ck_assert_int_eq(deep_optimizer_new(deep_optimizer_kind_at(i), &opt), DEEP_OK);
        ck_assert_float_eq(option(opt, DEEP_OPT_CLIPNORM), 0);
        ck_assert_float_eq(option(opt, DEEP_OPT_CLIPVALUE), 0);
        ck_assert_float_eq(option(opt, DEEP_OPT_GLOBAL_CLIPNORM), 0);
        if (deep_optimizer_kind_at(i) != DEEP_OPTIMIZER_ADAMW)
            ck_assert_float_eq(option(opt, DEEP_OPT_WEIGHT_DECAY), 0);
        deep_optimizer_free(opt);
    }
}
END_TEST

static void assert_error_mentions(const char *a, const char *b)
{
    const char *msg = deep_last_error();
    ck_assert_msg(strstr(msg, a) && strstr(msg, b), "message '%s' lacks '%s' or '%s'", msg, a, b);
}

START_TEST(rejects_bad_values)
{
    static const struct {
        deep_optimizer_option option;
        float value;
    } bad[] = {
        {DEEP_OPT_WEIGHT_DECAY, -0.1f}, {DEEP_OPT_WEIGHT_DECAY, NAN},   {DEEP_OPT_WEIGHT_DECAY, INFINITY},
        {DEEP_OPT_CLIPNORM, -1},        {DEEP_OPT_CLIPNORM, INFINITY},  {DEEP_OPT_CLIPVALUE, NAN},
        {DEEP_OPT_CLIPVALUE, -0.5f},    {DEEP_OPT_GLOBAL_CLIPNORM, -1}, {DEEP_OPT_AMSGRAD, 0.5f},
        {DEEP_OPT_AMSGRAD, 2},          {DEEP_OPT_AMSGRAD, NAN},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        deep_optimizer *opt = NULL;
        ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_ADAMW, &opt), DEEP_OK);
        const double before = option(opt, bad[i].option);
        ck_assert_msg(deep_optimizer_set_float(opt, bad[i].option, bad[i].value) == DEEP_ERR_INVALID_ARGUMENT,
                      "case %zu accepted", i);
        assert_error_mentions("deep_optimizer_set_float", deep_optimizer_option_name(bad[i].option));
        ck_assert_float_eq(option(opt, bad[i].option), before);
        deep_optimizer_free(opt);
    }
    /* amsgrad is Adam's and AdamW's only. */
    deep_optimizer *sgd = NULL, *nadam = NULL;
    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &sgd), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_NADAM, &nadam), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_float(sgd, DEEP_OPT_AMSGRAD, 1), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("amsgrad", "SGD");
    ck_assert_int_eq(deep_optimizer_set_float(nadam, DEEP_OPT_AMSGRAD, 1), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("amsgrad", "Nadam");
    deep_optimizer_free(sgd);
    deep_optimizer_free(nadam);
}
END_TEST

/* Keras: "Only one of clipnorm, clipvalue and global_clipnorm can be set." */
START_TEST(one_clipping_at_a_time)
{
    static const deep_optimizer_option clips[] = {DEEP_OPT_CLIPNORM, DEEP_OPT_CLIPVALUE, DEEP_OPT_GLOBAL_CLIPNORM};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            if (a == b)
                continue;
            deep_optimizer *opt = NULL;
            ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt), DEEP_OK);
            ck_assert_int_eq(deep_optimizer_set_float(opt, clips[a], 1), DEEP_OK);
            ck_assert_int_eq(deep_optimizer_set_float(opt, clips[a], 2), DEEP_OK); /* the same one again */
            ck_assert_int_eq(deep_optimizer_set_float(opt, clips[b], 0), DEEP_OK); /* 0 is off: allowed */
            ck_assert_int_eq(deep_optimizer_set_float(opt, clips[b], 1), DEEP_ERR_INVALID_ARGUMENT);
            assert_error_mentions("only one of", deep_optimizer_option_name(clips[a]));
            ck_assert_float_eq(option(opt, clips[b]), 0);
            ck_assert_int_eq(deep_optimizer_set_float(opt, clips[a], 0), DEEP_OK);
            ck_assert_int_eq(deep_optimizer_set_float(opt, clips[b], 1), DEEP_OK);
            deep_optimizer_free(opt);
        }
}
END_TEST

START_TEST(amsgrad_state)
{
    deep_optimizer *opt = NULL;
    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &opt), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_state_count(opt), 2);
    ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_AMSGRAD, 1), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_state_count(opt), 3);
    ck_assert_str_eq(deep_optimizer_state_name(opt, 2), "velocity_hat");
    const int64_t size = 4;
    ck_assert_int_eq(deep_optimizer_bind(opt, 1, &size), DEEP_OK);
    ck_assert_ptr_nonnull(deep_optimizer_state(opt, 2));
    ck_assert_ptr_null(deep_optimizer_state(opt, 3));
    ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_AMSGRAD, 1), DEEP_OK); /* unchanged: fine */
    ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_AMSGRAD, 0), DEEP_ERR_STATE);
    assert_error_mentions("deep_optimizer_set_float", "amsgrad");
    deep_optimizer_free(opt);

    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_ADAMAX, &opt), DEEP_OK);
    ck_assert_str_eq(deep_optimizer_state_name(opt, 1), "norm");
    deep_optimizer_free(opt);
}
END_TEST

START_TEST(set_tensors_misuse)
{
    deep_optimizer *opt = NULL;
    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_tensors(opt, 2, TENSOR_SIZES, NULL), DEEP_ERR_STATE);
    const int64_t total = 5, wrong[2] = {2, 2}, negative[2] = {-1, 6};
    ck_assert_int_eq(deep_optimizer_bind(opt, 1, &total), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_tensors(NULL, 2, TENSOR_SIZES, NULL), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_optimizer_set_tensors(opt, 2, NULL, NULL), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_optimizer_set_tensors(opt, -1, TENSOR_SIZES, NULL), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_optimizer_set_tensors(opt, 2, wrong, NULL), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_optimizer_set_tensors", "4 elements but 5");
    ck_assert_int_eq(deep_optimizer_set_tensors(opt, 2, negative, NULL), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_optimizer_set_tensors(opt, 0, NULL, NULL), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_optimizer_set_tensors(opt, 2, TENSOR_SIZES, NULL), DEEP_OK);
    deep_optimizer_free(opt);
}
END_TEST

/* ---- schedules ------------------------------------------------------------------------ */

/* Keras' values at steps 0..8 (the script's second part). */
START_TEST(schedule_values)
{
    static const int64_t boundaries[] = {2, 5};
    static const double piece[] = {1.0, 0.5, 0.25};
    static const double expected[5][9] = {
        {0.1, 0.0793700525984, 0.0629960524947, 0.05, 0.0396850262992, 0.0314980262474, 0.025, 0.0198425131496,
         0.0157490131237},
        {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025},
        {1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25},
        {0.1, 0.0882842712475, 0.06, 0.0317157287525, 0.02, 0.02, 0.02, 0.02, 0.02},
        {0, 0.1, 0.2, 0.173639610307, 0.11, 0.0463603896932, 0.02, 0.02, 0.02},
    };
    deep_schedule *s[5] = {NULL};
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.1, 3, 0.5, 0, &s[0]), DEEP_OK);
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.1, 3, 0.5, 1, &s[1]), DEEP_OK);
    ck_assert_int_eq(deep_schedule_new_piecewise_constant_decay(boundaries, 2, piece, &s[2]), DEEP_OK);
    ck_assert_int_eq(deep_schedule_new_cosine_decay(0.1, 4, 0.2, NAN, 0, &s[3]), DEEP_OK);
    ck_assert_int_eq(deep_schedule_new_cosine_decay(0.0, 4, 0.1, 0.2, 2, &s[4]), DEEP_OK);
    static const deep_schedule_kind kinds[5] = {DEEP_SCHEDULE_EXPONENTIAL_DECAY, DEEP_SCHEDULE_EXPONENTIAL_DECAY,
                                                DEEP_SCHEDULE_PIECEWISE_CONSTANT_DECAY, DEEP_SCHEDULE_COSINE_DECAY,
                                                DEEP_SCHEDULE_COSINE_DECAY};
    for (int k = 0; k < 5; k++) {
        deep_schedule_kind kind = 0;
        ck_assert_int_eq(deep_schedule_kind_of(s[k], &kind), DEEP_OK);
        ck_assert_int_eq(kind, kinds[k]);
        for (int64_t t = 0; t < 9; t++) {
            double lr = -1;
            ck_assert_int_eq(deep_schedule_learning_rate(s[k], t, &lr), DEEP_OK);
            ck_assert_msg(fabs(lr - expected[k][t]) < 1e-12, "schedule %d step %d: %.12g, Keras %.12g", k, (int)t,
                          lr, expected[k][t]);
        }
        deep_schedule_free(s[k]);
    }
    deep_schedule_free(NULL);
}
END_TEST

START_TEST(schedule_bad_arguments)
{
    deep_schedule *s = (deep_schedule *)&s; /* must come back NULL */
    const int64_t b[] = {3, 3}, negative[] = {-1}, good[] = {1, 4};
    const double v[] = {0.1, 0.05, 0.01}, zero[] = {0.1, 0, 0.1}, nan[] = {NAN, 0.1, 0.1};
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0, 10, 0.5, 0, &s), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(s);
    assert_error_mentions("deep_schedule_new_exponential_decay", "initial_learning_rate");
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.1, 0, 0.5, 0, &s), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_schedule_new_exponential_decay", "decay_steps");
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.1, 10, NAN, 0, &s), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.1, 10, 0.5, 2, &s), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_schedule_new_exponential_decay", "staircase");
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.1, 10, 0.5, 0, NULL), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_schedule_new_piecewise_constant_decay(b, 2, v, &s), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_schedule_new_piecewise_constant_decay", "strictly increasing");
    ck_assert_int_eq(deep_schedule_new_piecewise_constant_decay(negative, 1, v, &s), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_schedule_new_piecewise_constant_decay(good, 2, zero, &s), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_schedule_new_piecewise_constant_decay", "values[1]");
    ck_assert_int_eq(deep_schedule_new_piecewise_constant_decay(good, 2, nan, &s), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_schedule_new_piecewise_constant_decay(good, 0, v, &s), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_schedule_new_piecewise_constant_decay(NULL, 2, v, &s), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_schedule_new_piecewise_constant_decay(good, 2, NULL, &s), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_schedule_new_cosine_decay(-0.1, 10, 0, NAN, 0, &s), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_schedule_new_cosine_decay(0.1, 0, 0, NAN, 0, &s), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_schedule_new_cosine_decay(0.1, 10, 1.5, NAN, 0, &s), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_schedule_new_cosine_decay", "alpha");
    ck_assert_int_eq(deep_schedule_new_cosine_decay(0.1, 10, 0, -1, 0, &s), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_schedule_new_cosine_decay", "warmup_target");
    ck_assert_int_eq(deep_schedule_new_cosine_decay(0.1, 10, 0, 0.2, -1, &s), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(s);
    double lr;
    deep_schedule_kind kind;
    ck_assert_int_eq(deep_schedule_learning_rate(NULL, 0, &lr), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_schedule_kind_of(NULL, &kind), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.1, 10, 0.5, 0, &s), DEEP_OK);
    ck_assert_int_eq(deep_schedule_learning_rate(s, -1, &lr), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_schedule_learning_rate(s, 0, NULL), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_schedule_kind_of(s, NULL), DEEP_ERR_NULL);
    deep_schedule_free(s);
}
END_TEST

/* Keras: with a schedule, optimizer.learning_rate is the schedule's value at iterations and
 * cannot be set. */
START_TEST(optimizer_with_schedule)
{
    deep_optimizer *opt = NULL;
    deep_schedule *s = NULL;
    const deep_schedule *got = (const deep_schedule *)&got;
    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_get_schedule(opt, &got), DEEP_OK);
    ck_assert_ptr_null(got);
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.5, 1, 0.5, 0, &s), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_schedule(opt, s), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_get_schedule(opt, &got), DEEP_OK);
    ck_assert_ptr_eq(got, s);
    ck_assert_int_eq(deep_optimizer_set_schedule(opt, s), DEEP_OK); /* the same again: kept, not freed */
    ck_assert_float_eq(option(opt, DEEP_OPT_LEARNING_RATE), 0.5f);
    ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 0.1), DEEP_ERR_STATE);
    assert_error_mentions("deep_optimizer_set_float", "schedule");
    const int64_t size = 1;
    ck_assert_int_eq(deep_optimizer_bind(opt, 1, &size), DEEP_OK);
    float w = 1, g = 1;
    deep_optimizer_begin_step(opt, NULL);
    deep_optimizer_update(opt, 0, &w, &g, 0, 1);
    ck_assert_float_eq_tol(w, 0.5f, 1e-7f);
    ck_assert_float_eq(option(opt, DEEP_OPT_LEARNING_RATE), 0.25f); /* the next step's */
    ck_assert_int_eq(deep_optimizer_set_schedule(opt, NULL), DEEP_OK); /* frees s */
    ck_assert_float_eq(option(opt, DEEP_OPT_LEARNING_RATE), 0.01f);  /* the setting again */
    ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 0.1), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_get_schedule(opt, NULL), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_optimizer_get_schedule(NULL, &got), DEEP_ERR_NULL);
    /* The optimizer owns what it is given even when the call fails. */
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.5, 1, 0.5, 0, &s), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_schedule(NULL, s), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.5, 1, 0.5, 0, &s), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_schedule(opt, s), DEEP_OK);
    deep_optimizer_free(opt); /* frees s */
}
END_TEST

/* ---- through a model: compile binds the weight tensors, files keep everything ---------- */

static deep_model *small_model(deep_optimizer *opt)
{
    const int64_t in = 3;
    deep_model *m = NULL;
    ck_assert_int_eq(deep_model_new(1, &in, &m), DEEP_OK);
    ck_assert_int_eq(deep_model_add_dense(m, 4, DEEP_ACTIVATION_RELU, 1), DEEP_OK);
    ck_assert_int_eq(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1), DEEP_OK);
    ck_assert_int_eq(deep_model_set_seed(m, 3), DEEP_OK);
    ck_assert_int_eq(deep_model_compile(m, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0), DEEP_OK);
    return m;
}

static void train(deep_model *m, int steps)
{
    static const float x[4 * 3] = {0.1f, -0.4f, 0.9f, 1.2f, 0.3f, -0.7f, -0.5f, 0.8f, 0.2f, 0.6f, 0.6f, -1.1f};
    static const float y[4 * 2] = {1, 0, 0, 1, 2, -1, 0.5f, 0.5f};
    const int64_t xs[2] = {4, 3}, ys[2] = {4, 2};
    deep_tensor *tx = NULL, *ty = NULL;
    ck_assert_int_eq(deep_tensor_new_from(2, xs, x, 12, &tx), DEEP_OK);
    ck_assert_int_eq(deep_tensor_new_from(2, ys, y, 8, &ty), DEEP_OK);
    double loss;
    int64_t needed;
    for (int i = 0; i < steps; i++)
        ck_assert_int_eq(deep_model_train_on_batch(m, tx, ty, &loss, 1, &needed), DEEP_OK);
    deep_tensor_free(tx);
    deep_tensor_free(ty);
}

/* One step of the golden tiny model (2 inputs, 2 sigmoid outputs). */
static void train_tiny_once(deep_model *m)
{
    static const float x[2 * 2] = {0.3f, -0.2f, -0.5f, 0.9f}, y[2 * 2] = {1, 0, 0, 1};
    const int64_t shape[2] = {2, 2};
    deep_tensor *tx = NULL, *ty = NULL;
    ck_assert_int_eq(deep_tensor_new_from(2, shape, x, 4, &tx), DEEP_OK);
    ck_assert_int_eq(deep_tensor_new_from(2, shape, y, 4, &ty), DEEP_OK);
    double loss;
    int64_t needed;
    ck_assert_int_eq(deep_model_train_on_batch(m, tx, ty, &loss, 1, &needed), DEEP_OK);
    ck_assert(isfinite(loss));
    deep_tensor_free(tx);
    deep_tensor_free(ty);
}

static void weights_of(const deep_model *m, float *out)
{
    int64_t at = 0;
    for (int32_t layer = 0; layer < 2; layer++)
        for (int32_t k = 0; k < 2; k++) {
            deep_tensor *t = NULL;
            const float *d;
            int64_t n;
            ck_assert_int_eq(deep_model_get_weight(m, layer, k, &t), DEEP_OK);
            ck_assert_int_eq(deep_tensor_size(t, &n), DEEP_OK);
            ck_assert_int_eq(deep_tensor_data(t, &d), DEEP_OK);
            memcpy(out + at, d, (size_t)n * sizeof(float));
            at += n;
            deep_tensor_free(t);
        }
}

/* Each optimizer with options and a schedule: a model saved after 3 steps and loaded goes
 * on exactly as the original (state, step count, options and schedule all kept), and the
 * options and schedule read back as set. */
START_TEST(model_file_resumes)
{
    static const deep_optimizer_kind kinds[] = {DEEP_OPTIMIZER_NADAM, DEEP_OPTIMIZER_ADAMW, DEEP_OPTIMIZER_ADAMAX,
                                                DEEP_OPTIMIZER_ADAM, DEEP_OPTIMIZER_SGD};
    const deep_optimizer_kind kind = kinds[_i];
    deep_optimizer *opt = NULL;
    ck_assert_int_eq(deep_optimizer_new(kind, &opt), DEEP_OK);
    const deep_optimizer_option clip = _i % 3 == 0 ? DEEP_OPT_CLIPNORM : _i % 3 == 1 ? DEEP_OPT_GLOBAL_CLIPNORM
                                                                                     : DEEP_OPT_CLIPVALUE;
    ck_assert_int_eq(deep_optimizer_set_float(opt, clip, 0.25), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_WEIGHT_DECAY, 0.125), DEEP_OK);
    if (kind == DEEP_OPTIMIZER_ADAM)
        ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_AMSGRAD, 1), DEEP_OK);
    deep_schedule *s = NULL;
    static const int64_t boundaries[] = {2, 4};
    static const double values[] = {0.05, 0.02, 0.01};
    if (_i == 0)
        ck_assert_int_eq(deep_schedule_new_cosine_decay(0.01, 10, 0.1, 0.05, 2, &s), DEEP_OK);
    else if (_i == 1)
        ck_assert_int_eq(deep_schedule_new_exponential_decay(0.05, 3, 0.5, 1, &s), DEEP_OK);
    else if (_i == 2)
        ck_assert_int_eq(deep_schedule_new_piecewise_constant_decay(boundaries, 2, values, &s), DEEP_OK);
    if (s != NULL)
        ck_assert_int_eq(deep_optimizer_set_schedule(opt, s), DEEP_OK);
    deep_model *m = small_model(opt);
    train(m, 3);
    int64_t size = 0;
    ck_assert_int_eq(deep_model_save_buffer(m, NULL, 0, &size), DEEP_OK);
    char *file = malloc((size_t)size);
    ck_assert_int_eq(deep_model_save_buffer(m, file, size, &size), DEEP_OK);
    deep_model *loaded = NULL;
    ck_assert_int_eq(deep_model_load_buffer(file, size, &loaded), DEEP_OK);
    free(file);
    deep_optimizer *lo = NULL;
    ck_assert_int_eq(deep_model_optimizer(loaded, &lo), DEEP_OK);
    ck_assert_float_eq(option(lo, clip), 0.25f);
    ck_assert_float_eq(option(lo, DEEP_OPT_WEIGHT_DECAY), 0.125f);
    if (kind == DEEP_OPTIMIZER_ADAM)
        ck_assert_float_eq(option(lo, DEEP_OPT_AMSGRAD), 1);
    const deep_schedule *ls = NULL;
    ck_assert_int_eq(deep_optimizer_get_schedule(lo, &ls), DEEP_OK);
    ck_assert_int_eq(ls != NULL, s != NULL);
    for (int64_t t = 0; s != NULL && t < 12; t++) {
        double a, b;
        ck_assert_int_eq(deep_schedule_learning_rate(s, t, &a), DEEP_OK);
        ck_assert_int_eq(deep_schedule_learning_rate(ls, t, &b), DEEP_OK);
        ck_assert_double_eq(a, b);
    }
    train(m, 4);
    train(loaded, 4);
    float a[26], b[26];
    weights_of(m, a);
    weights_of(loaded, b);
    ck_assert_mem_eq(a, b, sizeof a);
    deep_model_free(m);
    deep_model_free(loaded);
}
END_TEST

/* A schedule whose first rate is 0 (a warm-up from 0) saves and loads before any step:
 * the file's learning_rate is the one set on the optimizer, not the schedule's 0. */
START_TEST(model_file_with_zero_first_rate)
{
    deep_optimizer *opt = NULL;
    deep_schedule *s = NULL;
    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_ADAMW, &opt), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 0.003), DEEP_OK);
    ck_assert_int_eq(deep_schedule_new_cosine_decay(0.0, 100, 0.0, 0.01, 10, &s), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_schedule(opt, s), DEEP_OK);
    deep_model *m = small_model(opt);
    ck_assert_float_eq(option(opt, DEEP_OPT_LEARNING_RATE), 0);
    int64_t size = 0;
    ck_assert_int_eq(deep_model_save_buffer(m, NULL, 0, &size), DEEP_OK);
    char *file = malloc((size_t)size);
    ck_assert_int_eq(deep_model_save_buffer(m, file, size, &size), DEEP_OK);
    deep_model *loaded = NULL;
    ck_assert_int_eq(deep_model_load_buffer(file, size, &loaded), DEEP_OK);
    free(file);
    deep_optimizer *lo = NULL;
    ck_assert_int_eq(deep_model_optimizer(loaded, &lo), DEEP_OK);
    ck_assert_float_eq(option(lo, DEEP_OPT_LEARNING_RATE), 0);
    ck_assert_int_eq(deep_optimizer_set_schedule(lo, NULL), DEEP_OK);
    ck_assert_float_eq(option(lo, DEEP_OPT_LEARNING_RATE), 0.003f);
    deep_model_free(m);
    deep_model_free(loaded);
}
END_TEST

/* The golden file of 1.1's optimizer fields (tests/make_golden.c) keeps loading with
 * everything it holds: kind, options (weight_decay absent: AdamW's default), schedule,
 * step count and the velocity_hat state. */
START_TEST(golden_file_loads)
{
    deep_model *m = NULL;
    ck_assert_int_eq(deep_model_load(DEEP_GOLDEN_DIR "/v1/optimizers-1.1.safetensors", &m), DEEP_OK);
    deep_optimizer *opt = NULL;
    ck_assert_int_eq(deep_model_optimizer(m, &opt), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_kind_of(opt), DEEP_OPTIMIZER_ADAMW);
    ck_assert_float_eq(option(opt, DEEP_OPT_AMSGRAD), 1);
    ck_assert_float_eq(option(opt, DEEP_OPT_GLOBAL_CLIPNORM), 0.5f);
    ck_assert_float_eq(option(opt, DEEP_OPT_WEIGHT_DECAY), 0.004f);
    ck_assert_float_eq(option(opt, DEEP_OPT_CLIPNORM), 0);
    ck_assert_int_eq(deep_optimizer_step(opt), 8); /* 2 epochs of 4 batches */
    const deep_schedule *s = NULL;
    ck_assert_int_eq(deep_optimizer_get_schedule(opt, &s), DEEP_OK);
    ck_assert_ptr_nonnull(s);
    double at8 = 0;
    ck_assert_int_eq(deep_schedule_learning_rate(s, 8, &at8), DEEP_OK);
    /* Keras' CosineDecay(0.001, 20, alpha=0.1, warmup_target=0.01, warmup_steps=4)(8). */
    const double keras = 0.01 * (0.9 * 0.5 * (1 + cos(3.14159265358979323846 * 4 / 20)) + 0.1);
    ck_assert_double_eq_tol(at8, keras, 1e-15);
    ck_assert_float_eq(option(opt, DEEP_OPT_LEARNING_RATE), (float)keras);
    ck_assert_int_eq(deep_optimizer_state_count(opt), 3);
    train_tiny_once(m);
    ck_assert_int_eq(deep_optimizer_step(opt), 9);
    deep_model_free(m);
}
END_TEST

/* Weight decay spares what is not trained: batch norm's moving statistics, which the
 * forward pass of the first step updates identically with and without decay, are then
 * left alone by the update (a decay of 1 at learning rate 0.5 would halve them). */
START_TEST(decay_spares_moving_statistics)
{
    float stats[2][2][4];
    for (int run = 0; run < 2; run++) {
        deep_optimizer *opt = NULL;
        ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_ADAMW, &opt), DEEP_OK);
        ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 0.5), DEEP_OK);
        ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_WEIGHT_DECAY, run ? 1.0 : 0.0), DEEP_OK);
        const int64_t in = 3;
        deep_model *m = NULL;
        ck_assert_int_eq(deep_model_new(1, &in, &m), DEEP_OK);
        ck_assert_int_eq(deep_model_add_dense(m, 4, DEEP_ACTIVATION_RELU, 1), DEEP_OK);
        ck_assert_int_eq(deep_model_add_batch_normalization(m, 0.99, 1e-3), DEEP_OK);
        ck_assert_int_eq(deep_model_add_dense(m, 2, DEEP_ACTIVATION_LINEAR, 1), DEEP_OK);
        ck_assert_int_eq(deep_model_set_seed(m, 3), DEEP_OK);
        ck_assert_int_eq(deep_model_compile(m, opt, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0), DEEP_OK);
        train(m, 1);
        for (int32_t k = 2; k < 4; k++) { /* moving_mean, moving_variance */
            deep_tensor *t = NULL;
            const float *d;
            ck_assert_int_eq(deep_model_get_weight(m, 1, k, &t), DEEP_OK);
            ck_assert_int_eq(deep_tensor_data(t, &d), DEEP_OK);
            memcpy(stats[run][k - 2], d, sizeof stats[run][k - 2]);
            deep_tensor_free(t);
        }
        deep_model_free(m);
    }
    ck_assert_mem_eq(stats[0], stats[1], sizeof stats[0]);
    ck_assert_float_gt(stats[1][1][0], 0.9f); /* the variance near its initial 1, not halved */
}
END_TEST

/* ReduceLROnPlateau against a transcription of Keras' callback (min mode, best None at the
 * start, cooldown, min_lr compared as float32):
 *
 *   def keras_plateau(values, lr, factor, patience, min_delta, cooldown, min_lr):
 *       best, wait, cd, out = None, 0, 0, []
 *       for current in values:
 *           if cd > 0:
 *               cd -= 1; wait = 0
 *           if best is None or current + (-min_delta) < best:   # _is_improvement
 *               best = current; wait = 0
 *           elif not cd > 0:
 *               wait += 1
 *               if wait >= patience:
 *                   old = float(np.float32(lr))
 *                   if old > np.float32(min_lr):
 *                       lr = float(np.float32(max(old * factor, min_lr)))
 *                       cd = cooldown; wait = 0
 *           out.append(lr)
 *       return out
 */
START_TEST(plateau_as_keras)
{
    static const double monitored[15] = {1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85,
                                         0.85, 0.85, 0.795, 0.9, 0.9, 0.9, 0.9};
    static const double keras[15] = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025,
                                     0.025, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02};
    deep_optimizer *opt = NULL;
    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 0.1), DEEP_OK);
    deep_model *m = small_model(opt);
    ck_assert_int_eq(deep_model_plateau_epoch(m, 0, true, 1.0), DEEP_OK); /* off: nothing */
    ck_assert_float_eq(option(opt, DEEP_OPT_LEARNING_RATE), 0.1f);
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, 0.5, 2, 0.01, 1, 0.02), DEEP_OK);
    for (int e = 0; e < 15; e++) {
        ck_assert_int_eq(deep_model_plateau_epoch(m, e, e == 0, monitored[e]), DEEP_OK);
        ck_assert_msg(fabs(option(opt, DEEP_OPT_LEARNING_RATE) - keras[e]) < 1e-8, "epoch %d: %g, Keras %g", e,
                      option(opt, DEEP_OPT_LEARNING_RATE), keras[e]);
    }
    /* A new fit starts afresh: its first epoch is the best so far. */
    ck_assert_int_eq(deep_model_plateau_epoch(m, 0, true, 5.0), DEEP_OK);
    ck_assert_float_eq(option(opt, DEEP_OPT_LEARNING_RATE), 0.02f);
    deep_model_free(m);
}
END_TEST

START_TEST(plateau_settings)
{
    deep_optimizer *opt = NULL;
    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &opt), DEEP_OK);
    deep_model *m = small_model(opt);
    double factor = -1, delta = -1, min_lr = -1;
    int64_t patience = -1, cooldown = -1;
    ck_assert_int_eq(deep_model_get_reduce_lr_on_plateau(m, &factor, &patience, &delta, &cooldown, &min_lr), DEEP_OK);
    ck_assert(factor == 0 && patience == 0 && delta == 0 && cooldown == 0 && min_lr == 0);
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, 0.1, 10, 1e-4, 0, 0), DEEP_OK); /* Keras' defaults */
    ck_assert_int_eq(deep_model_get_reduce_lr_on_plateau(m, &factor, &patience, &delta, &cooldown, &min_lr), DEEP_OK);
    ck_assert(factor == 0.1 && patience == 10 && delta == 1e-4 && cooldown == 0 && min_lr == 0);
    ck_assert_int_eq(deep_model_get_reduce_lr_on_plateau(m, NULL, NULL, NULL, NULL, NULL), DEEP_OK);
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, 1.0, 10, 0, 0, 0), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_model_set_reduce_lr_on_plateau", "factor");
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, -0.1, 10, 0, 0, 0), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, NAN, 10, 0, 0, 0), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, 0.5, -1, 0, 0, 0), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_model_set_reduce_lr_on_plateau", "patience");
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, 0.5, 1, -1, 0, 0), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, 0.5, 1, 0, -1, 0), DEEP_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, 0.5, 1, 0, 0, INFINITY), DEEP_ERR_INVALID_ARGUMENT);
    assert_error_mentions("deep_model_set_reduce_lr_on_plateau", "min_lr");
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(NULL, 0.5, 1, 0, 0, 0), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_model_get_reduce_lr_on_plateau(NULL, &factor, NULL, NULL, NULL, NULL), DEEP_ERR_NULL);
    ck_assert_int_eq(deep_model_get_reduce_lr_on_plateau(m, &factor, NULL, NULL, NULL, NULL), DEEP_OK);
    ck_assert(factor == 0.1); /* refused calls changed nothing */
    deep_model_free(m);
}
END_TEST

static deep_dataset *regression_data(void)
{
    float x[16 * 3], y[16 * 2];
    for (int i = 0; i < 16 * 3; i++)
        x[i] = (float)sin(0.7 * i);
    for (int i = 0; i < 16 * 2; i++)
        y[i] = (float)cos(0.3 * i);
    const int64_t features = 3;
    deep_dataset *d = NULL;
    ck_assert_int_eq(deep_dataset_new(16, 1, &features, x, &d), DEEP_OK);
    ck_assert_int_eq(deep_dataset_set_targets(d, y, 16, 2), DEEP_OK);
    return d;
}

static void count_reductions(void *user, deep_log_level level, const char *message)
{
    (void)level;
    if (strstr(message, "ReduceLROnPlateau reducing learning rate to ") != NULL)
        ++*(int *)user;
}

/* Through fit: with a min_delta no epoch can beat and patience 0, every epoch after the
 * first halves the rate (and says so in the log); with a schedule fit refuses to start. */
START_TEST(plateau_in_fit)
{
    deep_optimizer *opt = NULL;
    ck_assert_int_eq(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 0.08), DEEP_OK);
    deep_model *m = small_model(opt);
    deep_dataset *d = regression_data();
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, 0.5, 0, 1e9, 0, 0), DEEP_OK);
    int reductions = 0;
    ck_assert_int_eq(deep_model_set_log(m, count_reductions, &reductions), DEEP_OK);
    ck_assert_int_eq(deep_model_fit(m, d, 4, 8, NULL), DEEP_OK);
    ck_assert_float_eq(option(opt, DEEP_OPT_LEARNING_RATE), 0.01f);
    ck_assert_int_eq(reductions, 3);
    deep_schedule *s = NULL;
    ck_assert_int_eq(deep_schedule_new_exponential_decay(0.1, 10, 0.5, 0, &s), DEEP_OK);
    ck_assert_int_eq(deep_optimizer_set_schedule(opt, s), DEEP_OK);
    ck_assert_int_eq(deep_model_fit(m, d, 1, 8, NULL), DEEP_ERR_STATE);
    assert_error_mentions("deep_model_fit", "schedule");
    ck_assert_int_eq(deep_model_set_reduce_lr_on_plateau(m, 0, 0, 0, 0, 0), DEEP_OK); /* off again */
    ck_assert_int_eq(deep_model_fit(m, d, 1, 8, NULL), DEEP_OK);
    deep_dataset_free(d);
    deep_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("optim_keras");
    TCase *steps = tcase_create("steps");
    tcase_add_loop_test(steps, matches_keras, 0, CASE_COUNT);
    tcase_add_loop_test(steps, resumes_from_state_and_step, 0, CASE_COUNT);
    tcase_add_test(steps, nadam_product_for_huge_steps);
    suite_add_tcase(s, steps);

    TCase *api = tcase_create("api");
    tcase_add_test(api, defaults_match_keras);
    tcase_add_test(api, rejects_bad_values);
    tcase_add_test(api, one_clipping_at_a_time);
    tcase_add_test(api, amsgrad_state);
    tcase_add_test(api, set_tensors_misuse);
    suite_add_tcase(s, api);

    TCase *schedules = tcase_create("schedules");
    tcase_add_test(schedules, schedule_values);
    tcase_add_test(schedules, schedule_bad_arguments);
    tcase_add_test(schedules, optimizer_with_schedule);
    suite_add_tcase(s, schedules);

    TCase *model = tcase_create("model");
    tcase_add_loop_test(model, model_file_resumes, 0, 5);
    tcase_add_test(model, decay_spares_moving_statistics);
    tcase_add_test(model, model_file_with_zero_first_rate);
    tcase_add_test(model, golden_file_loads);
    tcase_add_test(model, plateau_as_keras);
    tcase_add_test(model, plateau_settings);
    tcase_add_test(model, plateau_in_fit);
    suite_add_tcase(s, model);
    return run_suite(s, CK_NORMAL);
}
