/* The "C" numeric locale around the library's own formatting and parsing. */
#include <locale.h>

#include "core/c_locale.h"

deep_c_locale deep_c_locale_begin(void)
{
    deep_c_locale l = {0};
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (c != (locale_t)0) {
        l.c = c;
        l.saved = uselocale(c);
    }
    return l;
}

void deep_c_locale_end(deep_c_locale l)
{
    if (l.c != NULL) {
        uselocale((locale_t)l.saved);
        freelocale((locale_t)l.c);
    }
}
