/* dqn_cartpole: a deep Q-network (Mnih et al. 2015) learns to balance the pole of the
 * cart-pole task, the seeds' reinforcement-learning example (seed 001).
 *
 * The task is Barto, Sutton & Anderson's (1983) as Gym's CartPole-v1 writes it: a cart on a
 * track pushed left or right by 10 N every 0.02 s, a pole of half-length 0.5 m hinged on it,
 * masses 1.0 and 0.1 kg, g = 9.8, Euler integration; an episode ends when the pole leans
 * more than 12 degrees or the cart leaves +-2.4 m, and is cut at 500 steps; every step
 * earns 1. It is solved (v1) when the return averaged over 100 consecutive episodes
 * reaches 475 (v0 asked 195 over 200-step episodes).
 *
 * The agent: a Q-network Dense(40, relu) -> Dense(40, relu) -> Dense(2) giving the value of
 * each action, epsilon-greedy exploration, a replay memory of past steps sampled in
 * mini-batches, and a target network (a clone of the Q-network, refreshed with
 * deep_model_copy_weights every TARGET_SYNC steps) for the bootstrapped targets
 * r + GAMMA * Q_target(s', a'), with a' the Q-network's own choice in s' (double DQN, van
 * Hasselt et al. 2016: plain DQN's max over the target's values overestimates, and solved
 * 4 of seeds 1-5 within 1500 episodes against 5 of 5). Each step is one
 * deep_model_predict_on_batch to act, three on replayed mini-batches and one
 * deep_model_train_on_batch: the online-training calls, which allocate nothing after the
 * first call.
 *
 * Usage: dqn_cartpole [MAX_EPISODES [SEED]]   (default 2000 episodes, seed 1)
 * Prints every 10th episode with the moving average of the last 100 returns, and how many
 * episodes and seconds solving took. Exit status 0 unless a libdeep call failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <deep.h>

/* ---- the cart-pole task (Gym's CartPole-v1) -------------------------------------------- */

#define MAX_STEPS 500

typedef struct cartpole {
    double x, x_dot, theta, theta_dot;
    int steps;
} cartpole;

static float uniform(deep_rng *rng)
{
    float u = 0;
    deep_rng_uniform(rng, &u);
    return u;
}

static void cartpole_reset(cartpole *c, deep_rng *rng)
{
    c->x = 0.1 * uniform(rng) - 0.05;
    c->x_dot = 0.1 * uniform(rng) - 0.05;
    c->theta = 0.1 * uniform(rng) - 0.05;
    c->theta_dot = 0.1 * uniform(rng) - 0.05;
    c->steps = 0;
}

/* Pushes left (action 0) or right (1) for one step; returns 1 when the pole fell or the cart
 * left the track (a terminal state), 0 otherwise. */
static int cartpole_step(cartpole *c, int action)
{
    const double gravity = 9.8, cart_mass = 1.0, pole_mass = 0.1, half_length = 0.5, force_mag = 10.0, tau = 0.02;
    const double total_mass = cart_mass + pole_mass, pole_moment = pole_mass * half_length;
    double force = action == 1 ? force_mag : -force_mag;
    double cos_t = cos(c->theta), sin_t = sin(c->theta);
    double temp = (force + pole_moment * c->theta_dot * c->theta_dot * sin_t) / total_mass;
    double theta_acc = (gravity * sin_t - cos_t * temp) /
                       (half_length * (4.0 / 3.0 - pole_mass * cos_t * cos_t / total_mass));
    double x_acc = temp - pole_moment * theta_acc * cos_t / total_mass;
    c->x += tau * c->x_dot;
    c->x_dot += tau * x_acc;
    c->theta += tau * c->theta_dot;
    c->theta_dot += tau * theta_acc;
    c->steps++;
    return fabs(c->x) > 2.4 || fabs(c->theta) > 12.0 * 2.0 * 3.14159265358979323846 / 360.0;
}

static void observe(const cartpole *c, float *state)
{
    state[0] = (float)c->x;
    state[1] = (float)c->x_dot;
    state[2] = (float)c->theta;
    state[3] = (float)c->theta_dot;
}

/* ---- the agent --------------------------------------------------------------------------- */

#define MEMORY 50000       /* replayed steps kept */
#define BATCH 64           /* replayed steps per training step */
#define WARMUP 1000        /* steps of experience before training starts */
#define GAMMA 0.99f        /* discount */
#define TARGET_SYNC 500    /* steps between copies of the Q-network into the target network */
#define EPSILON_STEPS 10000 /* exploration falls linearly from 1 to its floor over these steps */
#define EPSILON_FLOOR 0.01f
#define LEARNING_RATE 5e-4

typedef struct memory {
    float state[MEMORY][4], next[MEMORY][4];
    int action[MEMORY];
    float reward[MEMORY];
    int terminal[MEMORY];
    int64_t count, head;
} memory;

static int check(deep_status status, const char *what)
{
    if (status != DEEP_OK)
        fprintf(stderr, "%s failed: %s (%s)\n", what, deep_last_error(), deep_status_string(status));
    return status != DEEP_OK;
}

/* The Q-network: 4 state values in, one value per action out; mean squared error on the
 * taken action's value (the other output's target is its own prediction, so it adds no
 * gradient). One thread: these matrices are far too small to share. */
static deep_model *q_network(uint64_t seed)
{
    int64_t inputs = 4;
    deep_model *model = NULL;
    deep_optimizer *adam = NULL;
    if (check(deep_model_new(1, &inputs, &model), "deep_model_new") ||
        check(deep_model_set_seed(model, seed), "deep_model_set_seed") ||
        check(deep_model_set_int(model, DEEP_MODEL_THREADS, 1), "deep_model_set_int") ||
        check(deep_model_add_dense(model, 40, DEEP_ACTIVATION_RELU, 1), "deep_model_add_dense") ||
        check(deep_model_add_dense(model, 40, DEEP_ACTIVATION_RELU, 1), "deep_model_add_dense") ||
        check(deep_model_add_dense(model, 2, DEEP_ACTIVATION_LINEAR, 1), "deep_model_add_dense") ||
        check(deep_optimizer_new(DEEP_OPTIMIZER_ADAM, &adam), "deep_optimizer_new") ||
        check(deep_optimizer_set_float(adam, DEEP_OPT_LEARNING_RATE, LEARNING_RATE), "deep_optimizer_set_float") ||
        check(deep_model_compile(model, adam, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0), "deep_model_compile")) {
        deep_model_free(model);
        return NULL;
    }
    return model;
}

/* The target network: the Q-network's architecture (deep_model_clone) and its weights. */
static deep_model *target_network(const deep_model *q)
{
    deep_model *target = NULL;
    deep_optimizer *unused = NULL;
    if (check(deep_model_clone(q, &target), "deep_model_clone") ||
        check(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &unused), "deep_optimizer_new") ||
        check(deep_model_compile(target, unused, DEEP_LOSS_MEAN_SQUARED_ERROR, NULL, 0), "deep_model_compile") ||
        check(deep_model_copy_weights(target, q), "deep_model_copy_weights")) {
        deep_model_free(target);
        return NULL;
    }
    return target;
}

/* Tensors reused at every step: the current state, a replayed batch and its targets. */
typedef struct buffers {
    deep_tensor *state, *states, *next_states, *targets;
    float *s, *xs, *ns, *ys;
    float q_next[BATCH * 2], q_online[BATCH * 2];
} buffers;

static int act(deep_model *q, buffers *b, const float *state, float epsilon, deep_rng *rng, int *action)
{
    if (uniform(rng) < epsilon) {
        *action = uniform(rng) < 0.5f ? 0 : 1;
        return 0;
    }
    float values[2];
    int64_t needed;
    for (int i = 0; i < 4; i++)
        b->s[i] = state[i];
    if (check(deep_model_predict_on_batch(q, b->state, values, 2, &needed), "deep_model_predict_on_batch"))
        return 1;
    *action = values[1] > values[0];
    return 0;
}

/* One training step on a random mini-batch of remembered steps. */
static int learn(deep_model *q, deep_model *target, buffers *b, const memory *m, deep_rng *rng)
{
    int picked[BATCH];
    for (int k = 0; k < BATCH; k++) {
        uint64_t r = 0;
        deep_rng_next(rng, &r);
        int i = picked[k] = (int)(r % (uint64_t)m->count);
        for (int j = 0; j < 4; j++) {
            b->xs[k * 4 + j] = m->state[i][j];
            b->ns[k * 4 + j] = m->next[i][j];
        }
    }
    int64_t needed;
    double loss;
    /* The targets: the network's own values, with the taken action's replaced by the
     * bootstrapped return, the target network's value of the Q-network's best next action. */
    if (check(deep_model_predict_on_batch(q, b->states, b->ys, BATCH * 2, &needed), "deep_model_predict_on_batch") ||
        check(deep_model_predict_on_batch(target, b->next_states, b->q_next, BATCH * 2, &needed),
              "deep_model_predict_on_batch") ||
        check(deep_model_predict_on_batch(q, b->next_states, b->q_online, BATCH * 2, &needed),
              "deep_model_predict_on_batch"))
        return 1;
    for (int k = 0; k < BATCH; k++) {
        int i = picked[k];
        int next_action = b->q_online[2 * k + 1] > b->q_online[2 * k];
        float best = b->q_next[2 * k + next_action];
        b->ys[2 * k + m->action[i]] = m->reward[i] + (m->terminal[i] ? 0.0f : GAMMA * best);
    }
    return check(deep_model_train_on_batch(q, b->states, b->targets, &loss, 1, &needed), "deep_model_train_on_batch");
}

static int new_buffers(buffers *b)
{
    int64_t one[2] = {1, 4}, batch[2] = {BATCH, 4}, out[2] = {BATCH, 2};
    return check(deep_tensor_new(2, one, &b->state), "deep_tensor_new") ||
           check(deep_tensor_new(2, batch, &b->states), "deep_tensor_new") ||
           check(deep_tensor_new(2, batch, &b->next_states), "deep_tensor_new") ||
           check(deep_tensor_new(2, out, &b->targets), "deep_tensor_new") ||
           check(deep_tensor_data_mut(b->state, &b->s), "deep_tensor_data_mut") ||
           check(deep_tensor_data_mut(b->states, &b->xs), "deep_tensor_data_mut") ||
           check(deep_tensor_data_mut(b->next_states, &b->ns), "deep_tensor_data_mut") ||
           check(deep_tensor_data_mut(b->targets, &b->ys), "deep_tensor_data_mut");
}

static void free_buffers(buffers *b)
{
    deep_tensor_free(b->state);
    deep_tensor_free(b->states);
    deep_tensor_free(b->next_states);
    deep_tensor_free(b->targets);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Runs episodes until solved or max_episodes; returns nonzero when a libdeep call failed. */
static int train(deep_model *q, deep_model *target, buffers *b, memory *m, deep_rng *rng, int max_episodes)
{
    double start = seconds_now(), returns[100] = {0}, sum = 0;
    int64_t steps = 0;
    cartpole pole;
    for (int episode = 0; episode < max_episodes; episode++) {
        cartpole_reset(&pole, rng);
        float state[4];
        observe(&pole, state);
        int terminal = 0;
        while (!terminal && pole.steps < MAX_STEPS) {
            float epsilon = fmaxf(EPSILON_FLOOR, 1.0f - (float)steps / EPSILON_STEPS);
            int action;
            if (act(q, b, state, epsilon, rng, &action))
                return 1;
            terminal = cartpole_step(&pole, action);
            int64_t i = m->head;
            for (int j = 0; j < 4; j++)
                m->state[i][j] = state[j];
            observe(&pole, state);
            for (int j = 0; j < 4; j++)
                m->next[i][j] = state[j];
            /* A step cut by the 500-step limit is not terminal: its value still bootstraps. */
            m->action[i] = action;
            m->reward[i] = 1.0f;
            m->terminal[i] = terminal;
            m->head = (m->head + 1) % MEMORY;
            m->count += m->count < MEMORY;
            steps++;
            if (steps >= WARMUP && learn(q, target, b, m, rng))
                return 1;
            if (steps % TARGET_SYNC == 0 && check(deep_model_copy_weights(target, q), "deep_model_copy_weights"))
                return 1;
        }
        sum += pole.steps - returns[episode % 100];
        returns[episode % 100] = pole.steps;
        double average = sum / (episode < 100 ? episode + 1 : 100);
        if ((episode + 1) % 10 == 0 || (episode >= 99 && average >= 475.0))
            printf("episode %4d  return %3d  average of the last 100 %6.1f  steps %lld  %.1fs\n", episode + 1,
                   pole.steps, average, (long long)steps, seconds_now() - start);
        if (episode >= 99 && average >= 475.0) {
            printf("solved CartPole-v1 (average return %.1f >= 475 over episodes %d-%d) after %d episodes, "
                   "%lld steps, %.1f s\n", average, episode - 98, episode + 1, episode + 1, (long long)steps,
                   seconds_now() - start);
            return 0;
        }
    }
    printf("not solved within %d episodes (%.1f s)\n", max_episodes, seconds_now() - start);
    return 0;
}

int main(int argc, char **argv)
{
    int max_episodes = argc > 1 ? atoi(argv[1]) : 2000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    if (max_episodes < 1) {
        fprintf(stderr, "usage: %s [MAX_EPISODES [SEED]]\n", argv[0]);
        return 2;
    }
    memory *m = calloc(1, sizeof *m);
    deep_rng *rng = NULL;
    deep_model *q = q_network(seed), *target = q != NULL ? target_network(q) : NULL;
    buffers b = {0};
    int failed = m == NULL || q == NULL || target == NULL || check(deep_rng_new(seed, &rng), "deep_rng_new") ||
                 new_buffers(&b) || train(q, target, &b, m, rng, max_episodes);
    free_buffers(&b);
    deep_rng_free(rng);
    deep_model_free(target);
    deep_model_free(q);
    free(m);
    return failed;
}
