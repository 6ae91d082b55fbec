/* consumer: a program outside the source tree that uses an installed libdeep through
 * pkg-config, the way a user's program does. scripts/check-consumer.sh builds it as C99 and
 * as C++ and runs it. It checks that the header and the loaded library agree on the version,
 * that a call works, and that a bad call comes back as a status with a message. */
#include <stdio.h>
#include <string.h>

#include <deep.h>

int main(void)
{
    printf("libdeep %s\n", deep_version_string());
    if (deep_version_number() != DEEP_VERSION_NUMBER) {
        fprintf(stderr, "header version %d but library version %d\n", (int)DEEP_VERSION_NUMBER,
                (int)deep_version_number());
        return 1;
    }

    /* A call that works. */
    const int64_t shape[2] = {2, 3};
    deep_tensor *t = NULL;
    double sum = 0.0;
    if (deep_tensor_new_filled(2, shape, 0.5f, &t) != DEEP_OK || deep_tensor_sum(t, &sum) != DEEP_OK
        || sum != 3.0) {
        fprintf(stderr, "tensor sum failed: %s\n", deep_last_error());
        deep_tensor_free(t);
        return 1;
    }
    deep_tensor_free(t);

    /* A call that must fail cleanly: rank 0 is not a tensor shape. */
    deep_tensor *bad = NULL;
    deep_status status = deep_tensor_new(0, shape, &bad);
    const char *message = deep_last_error();
    if (status == DEEP_OK || status > 0 || message == NULL || strlen(message) == 0) {
        fprintf(stderr, "a rank-0 tensor was not refused properly (status %d)\n", (int)status);
        deep_tensor_free(bad);
        return 1;
    }
    printf("error handled: %s: %s\n", deep_status_string(status), message);

    deep_clear_error();
    deep_tensor_free(NULL);
    printf("consumer OK\n");
    return 0;
}
