/* Replica hooks (deep_model_set_replica): the calls deep_model_fit makes of the hook, in
 * one process. The MPI suite (tests/mpi/test_mpi_fit.c) checks real replicas against one
 * process; here a hook stands in for the other replicas: it sees every event in order,
 * its gradients reach the optimizer, its sums the history, its errors fit's status. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "deep.h"

#include "check_helpers.h"
#include "graph/model.h" /* the weight and gradient blocks, to compare whole models */

#define N 50     /* samples: 50 = 3 batches of 16 and one of 2 */
#define BATCH 16

static deep_dataset *make_data(void)
{
    float x[N * 3];
    int32_t labels[N];
    for (int i = 0; i < N; i++) {
        labels[i] = i % 2;
        for (int j = 0; j < 3; j++)
            x[i * 3 + j] = (float)((i * 7 + j * 13) % 11) / 11.0f + (labels[i] ? 0.5f : -0.5f);
    }
    deep_dataset *d = NULL;
    ASSERT_OK(deep_dataset_new(N, 1, (int64_t[]){3}, x, &d));
    ASSERT_OK(deep_dataset_set_labels(d, labels, N, 2));
    return d;
}

static deep_model *make_model(deep_optimizer_kind kind)
{
    deep_model *m = NULL;
    ASSERT_OK(deep_model_new(1, (int64_t[]){3}, &m));
    ASSERT_OK(deep_model_set_seed(m, 7));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_THREADS, 1));
    ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
    ASSERT_OK(deep_model_add_dense(m, 8, DEEP_ACTIVATION_RELU, 1));
    ASSERT_OK(deep_model_add_dropout(m, 0.0)); /* a layer without weights: never reported */
    ASSERT_OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_SOFTMAX, 1));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_optimizer_new(kind, &opt));
    ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 0.05));
    deep_metric metrics[] = {DEEP_METRIC_ACCURACY};
    ASSERT_OK(deep_model_compile(m, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, 1));
    return m;
}

/* What a test's hook does and what it saw. */
typedef struct recorder {
    int agrees, broadcasts, gradients, reduces, sums;
    int64_t broadcast_bytes;
    int64_t next_end;        /* this step: where the next range must end (descending, touching) */
    bool ranges_ok;
    float gradient_scale;    /* applied to every range given (1: leave them) */
    double sum_scale;        /* applied to the sums (not the counts) of SUM */
    int fail_at_agree;       /* the AGREE call (1-based) that fails; 0: none */
    int stop_at_agree;       /* the AGREE call that asks to stop; 0: none */
    int64_t weight_total;
} recorder;

static deep_status record(void *user, deep_replica_event event, deep_status status, void *data, int64_t offset,
                          int64_t count)
{
    recorder *r = user;
    switch (event) {
    case DEEP_REPLICA_AGREE:
        r->agrees++;
        ck_assert_ptr_nonnull(data);
        ck_assert_int_eq(count, 1);
        if (r->agrees == r->stop_at_agree)
            *(int32_t *)data = 1;
        if (r->agrees == r->fail_at_agree)
            return deep_set_last_error(DEEP_ERR_IO, "test_hook", "replica 3 failed");
        return status;
    case DEEP_REPLICA_BROADCAST:
        r->broadcasts++;
        r->broadcast_bytes += count;
        return DEEP_OK;
    case DEEP_REPLICA_GRADIENTS:
        r->gradients++;
        if (r->next_end < 0)
            r->next_end = r->weight_total;
        if (offset + count != r->next_end || count <= 0)
            r->ranges_ok = false;
        r->next_end = offset;
        for (int64_t i = 0; i < count; i++)
            ((float *)data)[offset + i] *= r->gradient_scale;
        return DEEP_OK;
    case DEEP_REPLICA_REDUCE:
        r->reduces++;
        if (r->next_end != 0) /* every weight reported, once */
            r->ranges_ok = false;
        r->next_end = -1;
        return DEEP_OK;
    case DEEP_REPLICA_SUM:
        r->sums++;
        ck_assert_int_eq(count % 2, 1);
        for (int64_t i = 0; i < count / 2; i++)
            ((double *)data)[i] *= r->sum_scale;
        return DEEP_OK;
    }
    return DEEP_ERR_UNSUPPORTED;
}

static recorder new_recorder(const deep_model *m)
{
    return (recorder){.next_end = -1, .ranges_ok = true, .gradient_scale = 1.0f, .sum_scale = 1.0,
                      .weight_total = m->weight_total};
}

START_TEST(set_and_get)
{
    deep_model *m = make_model(DEEP_OPTIMIZER_SGD);
    int32_t rank = -1, size = -1;
    deep_replica_fn hook = record;
    void *user = &rank;
    ASSERT_OK(deep_model_get_replica(m, &rank, &size, &hook, &user));
    ck_assert(rank == 0 && size == 1 && hook == NULL && user == NULL);
    ASSERT_OK(deep_model_get_replica(m, NULL, NULL, NULL, NULL));
    recorder r = new_recorder(m);
    ASSERT_OK(deep_model_set_replica(m, 2, 3, record, &r));
    ASSERT_OK(deep_model_get_replica(m, &rank, &size, &hook, &user));
    ck_assert(rank == 2 && size == 3 && hook == record && user == &r);
    ASSERT_FAILS(deep_model_set_replica(m, 3, 3, record, &r), DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_replica");
    ASSERT_FAILS(deep_model_set_replica(m, -1, 3, record, &r), DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_replica");
    ASSERT_FAILS(deep_model_set_replica(m, 0, 0, record, &r), DEEP_ERR_INVALID_ARGUMENT, "deep_model_set_replica");
    ASSERT_FAILS(deep_model_set_replica(m, 0, 2, NULL, NULL), DEEP_ERR_NULL, "deep_model_set_replica");
    ASSERT_FAILS(deep_model_set_replica(NULL, 0, 1, NULL, NULL), DEEP_ERR_NULL, "deep_model_set_replica");
    ASSERT_FAILS(deep_model_get_replica(NULL, &rank, NULL, NULL, NULL), DEEP_ERR_NULL, "deep_model_get_replica");
    /* A failed set keeps the setting; NULL hook and size 1 is the ordinary fit again. */
    ASSERT_OK(deep_model_get_replica(m, &rank, &size, NULL, NULL));
    ck_assert(rank == 2 && size == 3);
    ASSERT_OK(deep_model_set_replica(m, 0, 1, NULL, &r));
    ASSERT_OK(deep_model_get_replica(m, NULL, NULL, &hook, &user));
    ck_assert(hook == NULL && user == NULL);
    deep_model_free(m);
}
END_TEST

/* The hook passing everything through changes nothing: same weights, bit for bit, and
 * history as an ordinary fit; and it sees each event the documented number of times. */
static void identity_for(deep_optimizer_kind kind)
{
    deep_dataset *d = make_data();
    deep_model *plain = make_model(kind), *hooked = make_model(kind);
    recorder r = new_recorder(hooked);
    ASSERT_OK(deep_model_set_replica(hooked, 0, 1, record, &r));
    ASSERT_OK(deep_model_fit(plain, d, 3, BATCH, NULL));
    ASSERT_OK(deep_model_fit(hooked, d, 3, BATCH, NULL));
    ck_assert_mem_eq(plain->weights, hooked->weights, (size_t)plain->weight_total * sizeof(float));
    for (int64_t e = 0; e < 3; e++) {
        double a, b;
        ASSERT_OK(deep_model_history(plain, e, DEEP_METRIC_LOSS, 0, &a));
        ASSERT_OK(deep_model_history(hooked, e, DEEP_METRIC_LOSS, 0, &b));
        ck_assert(a == b);
    }
    int steps = 3 * 4;
    ck_assert_int_eq(r.agrees, 2 + steps + 3); /* checks, start, each step, each epoch */
    /* weights, one state array per optimizer slot, the step count, the generator */
    int slots = kind == DEEP_OPTIMIZER_ADAM ? 2 : 1; /* SGD keeps "momentum" */
    ck_assert_int_eq(r.broadcasts, 3 + slots);
    ck_assert_int_eq(r.broadcast_bytes, (1 + slots) * plain->weight_total * 4 + 8 + 32);
    ck_assert_int_eq(r.gradients, 2 * steps); /* the two Dense layers, not Dropout */
    ck_assert_int_eq(r.reduces, steps);
    ck_assert_int_eq(r.sums, 3);
    ck_assert(r.ranges_ok);
    deep_model_free(plain);
    deep_model_free(hooked);
    deep_dataset_free(d);
}

START_TEST(identity_hook_changes_nothing)
{
    identity_for(DEEP_OPTIMIZER_SGD);
    identity_for(DEEP_OPTIMIZER_ADAM);
}
END_TEST

/* Gradients scaled by 0 before the step: the weights stay as compiled (SGD and Adam, whose
 * moments stay 0). Scaled by 2 with SGD: the same as a learning rate twice as large. */
START_TEST(gradients_reach_the_optimizer)
{
    deep_dataset *d = make_data();
    deep_optimizer_kind kinds[] = {DEEP_OPTIMIZER_SGD, DEEP_OPTIMIZER_ADAM};
    for (int k = 0; k < 2; k++) {
        deep_model *m = make_model(kinds[k]), *fresh = make_model(kinds[k]);
        recorder r = new_recorder(m);
        r.gradient_scale = 0.0f;
        ASSERT_OK(deep_model_set_replica(m, 0, 1, record, &r));
        ASSERT_OK(deep_model_fit(m, d, 2, BATCH, NULL));
        ck_assert_mem_eq(m->weights, fresh->weights, (size_t)m->weight_total * sizeof(float));
        deep_model_free(m);
        deep_model_free(fresh);
    }
    deep_model *doubled = make_model(DEEP_OPTIMIZER_SGD), *faster = make_model(DEEP_OPTIMIZER_SGD);
    recorder r = new_recorder(doubled);
    r.gradient_scale = 2.0f;
    ASSERT_OK(deep_model_set_replica(doubled, 0, 1, record, &r));
    deep_optimizer *opt = NULL;
    ASSERT_OK(deep_model_optimizer(faster, &opt));
    ASSERT_OK(deep_optimizer_set_float(opt, DEEP_OPT_LEARNING_RATE, 0.1));
    ASSERT_OK(deep_model_set_int(doubled, DEEP_MODEL_SHUFFLE, 0));
    ASSERT_OK(deep_model_set_int(faster, DEEP_MODEL_SHUFFLE, 0));
    ASSERT_OK(deep_model_fit(doubled, d, 1, BATCH, NULL));
    ASSERT_OK(deep_model_fit(faster, d, 1, BATCH, NULL));
    for (int64_t i = 0; i < doubled->weight_total; i++)
        ck_assert_float_eq_tol(doubled->weights[i], faster->weights[i], 1e-5f);
    deep_model_free(doubled);
    deep_model_free(faster);
    deep_dataset_free(d);
}
END_TEST

/* SUM carries the epoch's sums then counts: doubling the sums doubles the history. */
START_TEST(sums_make_the_history)
{
    deep_dataset *d = make_data();
    deep_model *plain = make_model(DEEP_OPTIMIZER_SGD), *hooked = make_model(DEEP_OPTIMIZER_SGD);
    recorder r = new_recorder(hooked);
    r.sum_scale = 2.0;
    ASSERT_OK(deep_model_set_replica(hooked, 0, 1, record, &r));
    ASSERT_OK(deep_model_fit(plain, d, 2, BATCH, NULL));
    ASSERT_OK(deep_model_fit(hooked, d, 2, BATCH, NULL));
    for (int64_t e = 0; e < 2; e++) {
        double a, b, acc_a, acc_b;
        ASSERT_OK(deep_model_history(plain, e, DEEP_METRIC_LOSS, 0, &a));
        ASSERT_OK(deep_model_history(hooked, e, DEEP_METRIC_LOSS, 0, &b));
        ASSERT_OK(deep_model_history(plain, e, DEEP_METRIC_ACCURACY, 0, &acc_a));
        ASSERT_OK(deep_model_history(hooked, e, DEEP_METRIC_ACCURACY, 0, &acc_b));
        ck_assert_double_eq_tol(b, 2 * a, 1e-12);
        ck_assert_double_eq_tol(acc_b, 2 * acc_a, 1e-12);
    }
    deep_model_free(plain);
    deep_model_free(hooked);
    deep_dataset_free(d);
}
END_TEST

/* An AGREE that fails (another replica's error) ends fit with its status and message: at
 * the start, in a step, after an epoch; and a stop agreed in a step ends the epoch. */
START_TEST(agreement_fails_and_stops_fit)
{
    deep_dataset *d = make_data();
    int failing[] = {1, 2, 5, 2 + 4 + 1};
    for (int i = 0; i < 4; i++) {
        deep_model *m = make_model(DEEP_OPTIMIZER_SGD);
        recorder r = new_recorder(m);
        r.fail_at_agree = failing[i];
        ASSERT_OK(deep_model_set_replica(m, 0, 1, record, &r));
        ASSERT_FAILS_WITH(deep_model_fit(m, d, 3, BATCH, NULL), DEEP_ERR_IO, "test_hook", "replica 3 failed");
        ck_assert_int_eq(r.agrees, failing[i]);
        /* the model is usable afterwards */
        ASSERT_OK(deep_model_set_replica(m, 0, 1, NULL, NULL));
        ASSERT_OK(deep_model_fit(m, d, 1, BATCH, NULL));
        deep_model_free(m);
    }
    /* A stop agreed after the first epoch: one epoch of history. */
    deep_model *m = make_model(DEEP_OPTIMIZER_SGD);
    recorder r = new_recorder(m);
    r.stop_at_agree = 2 + 4 + 1;
    ASSERT_OK(deep_model_set_replica(m, 0, 1, record, &r));
    ASSERT_OK(deep_model_fit(m, d, 3, BATCH, NULL));
    int64_t epochs = 0;
    ASSERT_OK(deep_model_history_length(m, &epochs));
    ck_assert_int_eq(epochs, 1);
    deep_model_free(m);
    /* fit's own check failing is what the replicas agree on (and fit returns it). */
    m = make_model(DEEP_OPTIMIZER_SGD);
    r = new_recorder(m);
    ASSERT_OK(deep_model_set_replica(m, 0, 1, record, &r));
    ASSERT_FAILS(deep_model_fit(m, d, 0, BATCH, NULL), DEEP_ERR_INVALID_ARGUMENT, "deep_model_fit");
    ck_assert_int_eq(r.agrees, 1);
    ASSERT_FAILS(deep_model_fit(m, NULL, 1, BATCH, NULL), DEEP_ERR_NULL, "deep_model_fit");
    ck_assert_int_eq(r.agrees, 2);
    deep_model_free(m);
    deep_dataset_free(d);
}
END_TEST

/* Replica 1 of 2 trains on the second half of each global batch of 2 * 16: with a hook that
 * pretends replica 0 had the same gradients (doubling them) it takes 16
 * samples per step; a replica whose slice of the last global batch (of 18) is 9 samples
 * weighs its gradient by 9 / 18. It writes no checkpoint; replica 0 does. */
static deep_status twin(void *user, deep_replica_event event, deep_status status, void *data, int64_t offset,
                        int64_t count)
{
    recorder *r = user;
    if (event == DEEP_REPLICA_GRADIENTS)
        for (int64_t i = 0; i < count; i++)
            ((float *)data)[offset + i] *= 2.0f;
    if (event == DEEP_REPLICA_GRADIENTS)
        r->gradients++;
    if (event == DEEP_REPLICA_SUM)
        r->sums++;
    if (event == DEEP_REPLICA_AGREE)
        return status;
    return DEEP_OK;
}

START_TEST(replica_slices_and_checkpoints)
{
    deep_dataset *d = make_data();
    char path[] = "/tmp/libdeep-replica-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    unlink(path);
    for (int32_t rank = 0; rank < 2; rank++) {
        deep_model *m = make_model(DEEP_OPTIMIZER_SGD);
        recorder r = new_recorder(m);
        ASSERT_OK(deep_model_set_replica(m, rank, 2, twin, &r));
        ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_CHECKPOINT_PERIOD, 1));
        ASSERT_OK(deep_model_set_string(m, DEEP_MODEL_CHECKPOINT_PATH, path));
        ASSERT_OK(deep_model_fit(m, d, 2, BATCH, NULL));
        ck_assert_int_eq(r.gradients, 2 * 2 * 2); /* 2 epochs of 2 global batches, 2 layers */
        ck_assert_int_eq(r.sums, 2);
        ck_assert_int_eq(access(path, F_OK) == 0, rank == 0);
        unlink(path);
        deep_model_free(m);
    }
    /* Batch 1 per replica, 3 replicas, 50 samples: the last global batch of 2 leaves
     * replica 0's slice empty; it still reports both layers (zero gradients). */
    deep_model *m = make_model(DEEP_OPTIMIZER_SGD);
    recorder r = new_recorder(m);
    ASSERT_OK(deep_model_set_replica(m, 0, 3, twin, &r));
    ASSERT_OK(deep_model_fit(m, d, 1, 1, NULL));
    ck_assert_int_eq(r.gradients, 2 * 17);
    deep_model_free(m);
    deep_dataset_free(d);
}
END_TEST

/* What the SUM calls of one fit carried: their counts and the samples (the last double of
 * the stats' SUM, before summing). The hook doubles every sum, as a twin replica with the
 * same part would. */
typedef struct sum_log {
    int sums;
    int64_t counts[16], samples[16];
} sum_log;

static deep_status sums_only(void *user, deep_replica_event event, deep_status status, void *data, int64_t offset,
                             int64_t count)
{
    (void)offset;
    sum_log *log = user;
    if (event == DEEP_REPLICA_AGREE)
        return status;
    if (event == DEEP_REPLICA_SUM) {
        if (log->sums < 16) {
            log->counts[log->sums] = count;
            log->samples[log->sums] = (int64_t)((double *)data)[count - 1];
        }
        log->sums++;
        for (int64_t i = 0; i < count; i++)
            ((double *)data)[i] *= 2.0;
    }
    return DEEP_OK;
}

/* deep_model_set_replica_validation: replica 1 of 2 scores its half of the 21 validation
 * samples ([10, 21): 11) and sums it; the history then holds what the summed pass gives
 * (a twin with the same half: the same means). With AUC the confusion counts follow in a
 * second SUM, for the training pass and the validation pass. Split 0 scores all 21 with no
 * SUM. */
START_TEST(validation_split_among_replicas)
{
    deep_dataset *d = make_data();
    deep_dataset *v = NULL;
    float x[21 * 3];
    int32_t labels[21];
    for (int i = 0; i < 21; i++) {
        labels[i] = i % 2;
        for (int j = 0; j < 3; j++)
            x[i * 3 + j] = (float)((i * 5 + j * 3) % 7) / 7.0f + (labels[i] ? 0.4f : -0.4f);
    }
    ASSERT_OK(deep_dataset_new(21, 1, (int64_t[]){3}, x, &v));
    ASSERT_OK(deep_dataset_set_labels(v, labels, 21, 2));
    deep_dataset *half = NULL; /* what replica 1 scores: samples [10, 21) */
    ASSERT_OK(deep_dataset_new(11, 1, (int64_t[]){3}, x + 10 * 3, &half));
    ASSERT_OK(deep_dataset_set_labels(half, labels + 10, 11, 2));
    for (int auc = 0; auc < 2; auc++) {
        deep_model *m = NULL;
        ASSERT_OK(deep_model_new(1, (int64_t[]){3}, &m));
        ASSERT_OK(deep_model_set_seed(m, 7));
        ASSERT_OK(deep_model_set_int(m, DEEP_MODEL_VERBOSE, 0));
        ASSERT_OK(deep_model_add_dense(m, 2, DEEP_ACTIVATION_SOFTMAX, 1));
        deep_optimizer *opt = NULL;
        ASSERT_OK(deep_optimizer_new(DEEP_OPTIMIZER_SGD, &opt));
        deep_metric metrics[] = {DEEP_METRIC_ACCURACY, DEEP_METRIC_AUC};
        ASSERT_OK(deep_model_compile(m, opt, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY, metrics, auc ? 2 : 1));
        int32_t split = -1;
        ASSERT_OK(deep_model_get_replica_validation(m, &split));
        ck_assert_int_eq(split, 0); /* the default: whole */
        sum_log log = {0};
        ASSERT_OK(deep_model_set_replica(m, 1, 2, sums_only, &log));
        ASSERT_OK(deep_model_set_replica_validation(m, 1));
        ASSERT_OK(deep_model_get_replica_validation(m, &split));
        ck_assert_int_eq(split, 1);
        ASSERT_OK(deep_model_fit(m, d, 1, BATCH, v));
        int per_pass = auc ? 2 : 1; /* the stats, then the curves */
        ck_assert_int_eq(log.sums, 2 * per_pass);
        ck_assert_int_eq(log.samples[per_pass], 11); /* the validation pass: replica 1's 11 */
        ck_assert_int_eq(log.counts[per_pass], log.counts[0]);
        if (auc)
            ck_assert_int_eq(log.counts[1] % 2, 0); /* the confusion counts: all doubles */
        /* The summed pass of twins is replica 1's part's own metrics. */
        double values[3], recorded;
        int64_t needed = 0;
        ASSERT_OK(deep_model_set_replica(m, 0, 1, NULL, NULL));
        ASSERT_OK(deep_model_evaluate(m, half, BATCH, values, 3, &needed));
        deep_metric all[] = {DEEP_METRIC_LOSS, DEEP_METRIC_ACCURACY, DEEP_METRIC_AUC};
        for (int i = 0; i < 2 + auc; i++) {
            ASSERT_OK(deep_model_history(m, 0, all[i], 1, &recorded));
            ck_assert_double_eq_tol(recorded, values[i], 1e-12);
        }
        /* split 0: every replica scores the whole validation data, without a SUM */
        log = (sum_log){0};
        ASSERT_OK(deep_model_set_replica(m, 1, 2, sums_only, &log));
        ASSERT_OK(deep_model_set_replica_validation(m, 0));
        ASSERT_OK(deep_model_fit(m, d, 1, BATCH, v));
        ck_assert_int_eq(log.sums, per_pass);
        deep_model_free(m);
    }
    deep_model *m = make_model(DEEP_OPTIMIZER_SGD);
    ASSERT_FAILS(deep_model_set_replica_validation(m, 2), DEEP_ERR_INVALID_ARGUMENT,
                 "deep_model_set_replica_validation");
    ASSERT_FAILS(deep_model_set_replica_validation(NULL, 1), DEEP_ERR_NULL, "deep_model_set_replica_validation");
    ASSERT_FAILS(deep_model_get_replica_validation(m, NULL), DEEP_ERR_NULL, "deep_model_get_replica_validation");
    deep_model_free(m);
    deep_dataset_free(half);
    deep_dataset_free(v);
    deep_dataset_free(d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("replica");
    TCase *tc = tcase_create("replica");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, set_and_get);
    tcase_add_test(tc, identity_hook_changes_nothing);
    tcase_add_test(tc, gradients_reach_the_optimizer);
    tcase_add_test(tc, sums_make_the_history);
    tcase_add_test(tc, agreement_fails_and_stops_fit);
    tcase_add_test(tc, replica_slices_and_checkpoints);
    tcase_add_test(tc, validation_split_among_replicas);
    suite_add_tcase(s, tc);
    return run_suite(s, CK_NORMAL);
}
