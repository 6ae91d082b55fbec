/* The enumerators of one enum of the public header, read from its text (DEEP_PUBLIC_HEADER,
 * set by tests/meson.build), so that a test can check an internal table or switch against
 * every enumerator, including one added after the table was written. */
#ifndef LIBDEEP_TESTS_HEADER_ENUMS_H
#define LIBDEEP_TESTS_HEADER_ENUMS_H

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER_ENUM_MAX 64

typedef struct header_enum {
    int count;
    char names[HEADER_ENUM_MAX][64];
    long values[HEADER_ENUM_MAX];
} header_enum;

/* Fills e with the enumerators of `typedef enum <name> { ... }`, each written
 * `NAME = value` as deep.h writes them all; fails the test when the enum is missing. */
static inline void header_enum_read(const char *name, header_enum *e)
{
    FILE *f = fopen(DEEP_PUBLIC_HEADER, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", DEEP_PUBLIC_HEADER);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);

    char opening[128];
    snprintf(opening, sizeof opening, "typedef enum %s {", name);
    char *at = strstr(text, opening);
    ck_assert_msg(at != NULL, "%s has no '%s'", DEEP_PUBLIC_HEADER, opening);
    at += strlen(opening);
    char *end = strchr(at, '}');
    ck_assert_ptr_nonnull(end);
    *end = '\0';
    /* Comments out, so that only "NAME = value" items separated by commas are left. */
    for (char *c = strstr(at, "/*"); c != NULL; c = strstr(c, "/*")) {
        char *close = strstr(c, "*/");
        ck_assert_ptr_nonnull(close);
        memset(c, ' ', (size_t)(close + 2 - c));
    }
    e->count = 0;
    for (char *item = strtok(at, ","); item != NULL; item = strtok(NULL, ",")) {
        char enumerator[64];
        long value;
        while (isspace((unsigned char)*item))
            item++;
        if (*item == '\0')
            continue;
        ck_assert_msg(sscanf(item, "%63[A-Z0-9_] = %li", enumerator, &value) == 2,
                      "%s: cannot read the enumerator '%s'", name, item);
        ck_assert_int_lt(e->count, HEADER_ENUM_MAX);
        strcpy(e->names[e->count], enumerator);
        e->values[e->count] = value;
        e->count++;
    }
    ck_assert_msg(e->count > 0, "%s has no enumerators", name);
    free(text);
}

#endif
