/* Numbers in text the library writes or reads (model and tree files, CSV, JSON dumps,
 * describe tables, log lines) always use the "C" locale's decimal point, whatever locale
 * the program set: files must travel between machines and programs parse the text.
 * uselocale is per thread, so other threads keep their locale meanwhile. Never installed. */
#ifndef DEEP_CORE_C_LOCALE_H
#define DEEP_CORE_C_LOCALE_H

typedef struct deep_c_locale {
    void *c, *saved;
} deep_c_locale;

/* Switches the calling thread to the "C" locale: LC_NUMERIC by name, and every other
 * category too, since newlocale takes those from the POSIX locale when it has no base
 * (harmless: between begin and end the library formats and parses numbers and calls no
 * other locale-dependent function, nor the caller's callbacks). If that cannot be set up
 * (no memory), the thread keeps its locale and c is NULL: a caller that must not write
 * locale-dependent numbers (a model file, CSV, JSON) fails then. */
deep_c_locale deep_c_locale_begin(void);
/* Restores what begin saved; accepts whatever begin returned. */
void deep_c_locale_end(deep_c_locale l);

#endif
