/* Assertions and the runner shared by the unit tests (Check). Everything here is a macro
 * or static inline, so a file that leaves a helper unused gets no warning.
 *
 * Two ways to check that an error message names the failing function:
 *   names_function           strict: the message is "<func>: <something>"
 *   names_function_detailed  also "<func> (<detail>): <something>"
 * ASSERT_FAILS / ASSERT_FAILS_WITH use CHECK_NAMES_FUNCTION, which is names_function unless
 * the including file defines it first (test_model.c picks names_function_detailed).
 * FAILS / OK are the lighter form: the status, and strstr for the function's name. */
#ifndef LIBDEEP_TESTS_CHECK_HELPERS_H
#define LIBDEEP_TESTS_CHECK_HELPERS_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deep.h"

/* The whole of a file into a new buffer (free() it), its size in *length. */
static inline uint8_t *read_all(const char *path, size_t *length)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *length = (size_t)n;
    return data;
}

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* True when msg is "<func>: <something>", i.e. the message names the failing function. */
static inline bool names_function(const char *msg, const char *func)
{
    size_t n = strlen(func);
    return msg != NULL && strncmp(msg, func, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ' &&
           msg[n + 2] != '\0';
}

/* True when msg is "<func>: <something>" or "<func> (<detail>): <something>". */
static inline bool names_function_detailed(const char *msg, const char *func)
{
    size_t n = strlen(func);
    return msg != NULL && strncmp(msg, func, n) == 0 && (msg[n] == ':' || msg[n] == ' ') &&
           strchr(msg + n, ':') != NULL;
}

#ifndef CHECK_NAMES_FUNCTION
#define CHECK_NAMES_FUNCTION names_function
#endif

#define ASSERT_OK(call)                                                                                   \
    do {                                                                                                  \
        deep_status status_ = (call);                                                                     \
        ck_assert_msg(status_ == DEEP_OK, "%s returned %s: %s", #call, deep_status_string(status_),        \
                      deep_last_error());                                                                 \
    } while (0)

/* The status was `expected`, and the message names `func` and contains `fragment`. */
static inline void check_failure(int line, const char *call, deep_status status, deep_status expected,
                                 const char *func, const char *fragment)
{
    const char *msg = deep_last_error();
    ck_assert_msg(status == expected, "line %d: %s returned %s, expected %s (message \"%s\")", line, call,
                  deep_status_string(status), deep_status_string(expected), msg);
    ck_assert_msg(CHECK_NAMES_FUNCTION(msg, func), "line %d: %s: message \"%s\" does not name %s", line, call, msg,
                  func);
    ck_assert_msg(fragment[0] == '\0' || strstr(msg, fragment) != NULL, "line %d: %s: message \"%s\" lacks \"%s\"",
                  line, call, msg, fragment);
}

/* Asserts that `call` returns `expected` and leaves a message naming `func` (and containing
 * `fragment`, unless it is ""). */
#define ASSERT_FAILS_WITH(call, expected, func, fragment)                                                 \
    do {                                                                                                  \
        deep_clear_error();                                                                               \
        deep_status status_ = (call);                                                                     \
        check_failure(__LINE__, #call, status_, (expected), (func), (fragment));                          \
    } while (0)

#define ASSERT_FAILS(call, expected, func) ASSERT_FAILS_WITH(call, expected, func, "")

/* The status, and a message that contains `func` anywhere. */
#define FAILS(expr, status, func)                                                                 \
    do {                                                                                          \
        ck_assert_int_eq((expr), (status));                                                       \
        ck_assert_msg(strstr(deep_last_error(), (func)) != NULL, "message '%s' does not name %s", \
                      deep_last_error(), (func));                                                 \
    } while (0)

#define OK(expr) ck_assert_int_eq((expr), DEEP_OK)

/* Runs every test of `suite` (and frees it); the exit status for main. */
static inline int run_suite(Suite *suite, enum print_output mode)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, mode);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
