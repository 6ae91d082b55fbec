/* tensor_basics: create a batch of "scores", read the predicted class of each row, and show
 * how every failure comes back as a status with a message. */
#include <stdio.h>

#include <deep.h>

static int check(deep_status status, const char *what)
{
    if (status != DEEP_OK) {
        fprintf(stderr, "%s failed: %s (%s)\n", what, deep_last_error(), deep_status_string(status));
        return 1;
    }
    return 0;
}

int main(void)
{
    printf("libdeep %s\n", deep_version_string());

    const float scores[] = {0.1f, 0.7f, 0.2f,
                            0.5f, 0.3f, 0.2f};
    const int64_t shape[] = {2, 3};
    deep_tensor *t = NULL;
    if (check(deep_tensor_new_from(2, shape, scores, 6, &t), "deep_tensor_new_from"))
        return 1;

    int64_t classes[2], needed;
    if (check(deep_tensor_argmax(t, classes, 2, &needed), "deep_tensor_argmax")) {
        deep_tensor_free(t);
        return 1;
    }
    printf("predicted classes: %lld %lld\n", (long long)classes[0], (long long)classes[1]);

    /* A mistake on purpose: 6 elements cannot become 4 x 2. */
    const int64_t wrong[] = {4, 2};
    deep_status status = deep_tensor_reshape(t, 2, wrong);
    printf("reshape to (4, 2): %s: %s\n", deep_status_string(status), deep_last_error());

    deep_tensor_free(t);
    return 0;
}
