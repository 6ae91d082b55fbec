/* The files every saver and loader shares (libdeep/io/file.c): saves that stop when memory
 * runs out, that keep the target's mode, follow symbolic links, refuse what is not a
 * regular file and clean up after killed saves; saves that refuse non-finite weights
 * before touching the old file; loaders that refuse /dev/zero, directories and FIFOs
 * without reading them. Model, tree, vocabulary and CSV files alike.
 *
 * Allocation failures: this executable is linked with --wrap=malloc,realloc,calloc (see
 * tests/meson.build), so the library's calls go through the wrappers below, which fail
 * every allocation from the n-th on while a countdown is armed. glibc's own allocations
 * (opendir, newlocale) are not affected. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "graph/model.h"
#include "io/file.h"
#include "optim/optim.h"

#define CHECK_NAMES_FUNCTION names_function_detailed
#include "check_helpers.h"
#include "model_fixtures.h"

/* ---- failing allocations ----------------------------------------------------------------- */

void *__real_malloc(size_t size);
void *__real_realloc(void *p, size_t size);
void *__real_calloc(size_t n, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_calloc(size_t n, size_t size);

/* Allocations left before they all fail; -1: none fails. */
static long allocations_left = -1;

static bool allocation_fails(void)
{
    if (allocations_left < 0)
        return false;
    if (allocations_left == 0)
        return true;
    allocations_left--;
    return false;
}

void *__wrap_malloc(size_t size)
{
    return allocation_fails() ? NULL : __real_malloc(size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return allocation_fails() ? NULL : __real_realloc(p, size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return allocation_fails() ? NULL : __real_calloc(n, size);
}

/* ---- files and directories ------------------------------------------------------------ */

typedef struct scratch {
    char dir[64];
    char path[128];
} scratch;

static void scratch_open(scratch *s, const char *name)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/deep-files-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->dir));
    snprintf(s->path, sizeof s->path, "%s/%s", s->dir, name);
}

static void scratch_file(const scratch *s, const char *name, char *out, size_t capacity)
{
    snprintf(out, capacity, "%s/%s", s->dir, name);
}

/* Names in the directory, other than . and .. */
static int scratch_entries(const scratch *s)
{
    DIR *d = opendir(s->dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

/* The one name in the directory starting with prefix, into out; false when none. */
static bool scratch_find(const scratch *s, const char *prefix, char *out, size_t capacity)
{
    DIR *d = opendir(s->dir);
    ck_assert_ptr_nonnull(d);
    bool found = false;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            ck_assert_msg(!found, "two names start with %s", prefix);
            snprintf(out, capacity, "%s", e->d_name);
            found = true;
        }
    closedir(d);
    return found;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    ck_assert_int_eq(rmdir(dir), 0);
}

static void scratch_close(scratch *s)
{
    remove_tree(s->dir);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
}

static bool same_file(const char *path, const uint8_t *bytes, size_t length)
{
    size_t n;
    uint8_t *now = read_all(path, &n);
    bool same = n == length && memcmp(now, bytes, n) == 0;
    free(now);
    return same;
}

/* The model file deep_model_save writes, made in memory. */
static uint8_t *model_bytes(const deep_model *model, size_t *length)
{
    int64_t needed = 0;
    ASSERT_OK(deep_model_save_buffer(model, NULL, 0, &needed));
    uint8_t *bytes = malloc((size_t)needed);
    ASSERT_OK(deep_model_save_buffer(model, bytes, needed, &needed));
    *length = (size_t)needed;
    return bytes;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static deep_model *compiled_model(void)
{
    deep_model *m = fixture_all_layers(3);
    fixture_compile(m, DEEP_OPTIMIZER_ADAM, DEEP_LOSS_SPARSE_CATEGORICAL_CROSSENTROPY);
    return m;
}

/* A process id that no process has: a child that exited and was reaped. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
    return pid;
}

static void make_old(const char *path)
{
    struct timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= 3600;
    times[1] = times[0];
    ck_assert_int_eq(utimensat(AT_FDCWD, path, times, 0), 0);
}

/* ---- allocation failures ---------------------------------------------------------------- */

/* Every allocation of a save failing in turn (and all after it): each save ends with
 * DEEP_ERR_NO_MEMORY, never spins (the safetensors header's padding loop once did when
 * an append failed), and a failed save to a file leaves the old file and no temporary
 * file. The model's file header is larger than the first 4096-byte block, so failures
 * fall inside it too. */
START_TEST(save_stops_when_memory_runs_out)
{
    scratch s;
    scratch_open(&s, "model.safetensors");
    deep_model *model = compiled_model();
    size_t length;
    uint8_t *good = model_bytes(model, &length);
    uint64_t header = 0;
    for (int i = 7; i >= 0; i--)
        header = header << 8 | good[i];
    ck_assert_uint_gt(header, 4096);
    deep_model *tiny = fixture_tiny(1);
    fixture_compile(tiny, DEEP_OPTIMIZER_SGD, DEEP_LOSS_BINARY_CROSSENTROPY);
    ASSERT_OK(deep_model_save(tiny, s.path));
    size_t old_length;
    uint8_t *old = read_all(s.path, &old_length);

    int failures = 0;
    for (long n = 0;; n++) {
        int64_t needed = -1;
        allocations_left = n;
        deep_status status = deep_model_save_buffer(model, NULL, 0, &needed);
        allocations_left = -1;
        if (status == DEEP_OK) {
            ck_assert_int_eq(needed, (int64_t)length);
            break;
        }
        check_failure(__LINE__, "deep_model_save_buffer", status, DEEP_ERR_NO_MEMORY, "deep_model_save_buffer",
                      "out of memory");
        ck_assert_int_eq(needed, 0);
        failures++;
        ck_assert_int_lt(n, 100000);
    }
    ck_assert_int_gt(failures, 3);

    for (long n = 0;; n++) {
        allocations_left = n;
        deep_status status = deep_model_save(model, s.path);
        allocations_left = -1;
        if (status == DEEP_OK)
            break;
        check_failure(__LINE__, "deep_model_save", status, DEEP_ERR_NO_MEMORY, "deep_model_save", "out of memory");
        ck_assert(same_file(s.path, old, old_length));
        ck_assert_int_eq(scratch_entries(&s), 1);
    }
    ck_assert(same_file(s.path, good, length));
    ck_assert_int_eq(scratch_entries(&s), 1);
    free(good);
    free(old);
    deep_model_free(model);
    deep_model_free(tiny);
    scratch_close(&s);
}
END_TEST

/* ---- non-finite weights ----------------------------------------------------------------- */

/* Loading refuses non-finite values, so saving refuses them first: the old file stays
 * byte for byte, the buffer call fails the same way, and set_weight refuses them at the
 * door. */
START_TEST(save_refuses_non_finite_weights)
{
    scratch s;
    scratch_open(&s, "model.safetensors");
    deep_model *model = compiled_model();
    ASSERT_OK(deep_model_save(model, s.path));
    size_t length;
    uint8_t *before = read_all(s.path, &length);

    float kept = model->weights[5];
    model->weights[5] = NAN; /* as training that diverged leaves it */
    ASSERT_FAILS_WITH(deep_model_save(model, s.path), DEEP_ERR_NUMERIC, "deep_model_save", "conv2d/kernel' holds NaN");
    ck_assert(same_file(s.path, before, length));
    ck_assert_int_eq(scratch_entries(&s), 1);
    int64_t needed = -1;
    ASSERT_FAILS_WITH(deep_model_save_buffer(model, NULL, 0, &needed), DEEP_ERR_NUMERIC, "deep_model_save_buffer",
                      "non-finite");
    ck_assert_int_eq(needed, 0);
    model->weights[5] = kept;

    /* The optimizer's state is saved too. */
    float *moments = deep_optimizer_state(model->optimizer, 0);
    moments[2] = INFINITY;
    ASSERT_FAILS_WITH(deep_model_save(model, s.path), DEEP_ERR_NUMERIC, "deep_model_save", "holds an infinity");
    ck_assert(same_file(s.path, before, length));
    moments[2] = 0;
    ASSERT_OK(deep_model_save(model, s.path));
    ck_assert(same_file(s.path, before, length));

    /* set_weight: NaN or an infinity anywhere in the value is refused, the weight kept. */
    deep_tensor *kernel = NULL, *after = NULL;
    ASSERT_OK(deep_model_get_weight(model, 0, 0, &kernel));
    float *data = NULL;
    ASSERT_OK(deep_tensor_data_mut(kernel, &data));
    float first = data[0];
    int64_t size = 0;
    ASSERT_OK(deep_tensor_size(kernel, &size));
    data[size - 1] = NAN;
    ASSERT_FAILS_WITH(deep_model_set_weight(model, 0, 0, kernel), DEEP_ERR_NUMERIC, "deep_model_set_weight",
                      "holds NaN at element");
    data[size - 1] = -INFINITY;
    ASSERT_FAILS_WITH(deep_model_set_weight(model, 0, 0, kernel), DEEP_ERR_NUMERIC, "deep_model_set_weight",
                      "infinity");
    ASSERT_OK(deep_model_get_weight(model, 0, 0, &after));
    const float *now = NULL;
    ASSERT_OK(deep_tensor_data(after, &now));
    ck_assert(isfinite(now[size - 1]) && now[0] == first);
    ASSERT_OK(deep_model_save(model, s.path));
    ck_assert(same_file(s.path, before, length));
    deep_tensor_free(kernel);
    deep_tensor_free(after);
    free(before);
    deep_model_free(model);
    scratch_close(&s);
}
END_TEST

/* ---- modes, links and temporary files --------------------------------------------------- */

/* An existing file keeps its mode (a private 0600 model stays private, a 0640 one
 * group-readable); a new file gets 0666 less the umask. */
START_TEST(save_keeps_the_mode)
{
    scratch s;
    scratch_open(&s, "model.safetensors");
    deep_model *model = fixture_tiny(1);
    fixture_compile(model, DEEP_OPTIMIZER_SGD, DEEP_LOSS_BINARY_CROSSENTROPY);
    mode_t umask_before = umask(077);
    ASSERT_OK(deep_model_save(model, s.path));
    ck_assert_uint_eq(mode_of(s.path), 0600);
    umask(022);
    ASSERT_OK(deep_model_save(model, s.path));
    ck_assert_uint_eq(mode_of(s.path), 0600); /* the existing file's mode wins */
    ck_assert_int_eq(chmod(s.path, 0640), 0);
    ASSERT_OK(deep_model_save(model, s.path));
    ck_assert_uint_eq(mode_of(s.path), 0640);

    char fresh[200];
    scratch_file(&s, "fresh.safetensors", fresh, sizeof fresh);
    ASSERT_OK(deep_model_save(model, fresh));
    ck_assert_uint_eq(mode_of(fresh), 0644);
    umask(027);
    scratch_file(&s, "fresh2.safetensors", fresh, sizeof fresh);
    ASSERT_OK(deep_model_save(model, fresh));
    ck_assert_uint_eq(mode_of(fresh), 0640);

    /* The same for trees and CSV tables. */
    umask(077);
    char tree_path[200], csv_path[200];
    scratch_file(&s, "tree.bin", tree_path, sizeof tree_path);
    scratch_file(&s, "table.csv", csv_path, sizeof csv_path);
    float x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    int32_t y[4] = {0, 1, 0, 1};
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(4, 1, (const int64_t[]){2}, x, &data));
    ASSERT_OK(deep_dataset_set_labels(data, y, 4, 2));
    deep_tree *tree = NULL;
    ASSERT_OK(deep_tree_new(DEEP_TREE_CLASSIFIER, &tree));
    ASSERT_OK(deep_tree_fit(tree, data));
    ASSERT_OK(deep_tree_save(tree, tree_path));
    ASSERT_OK(deep_dataset_write_csv(data, csv_path));
    ck_assert_uint_eq(mode_of(tree_path), 0600);
    ck_assert_uint_eq(mode_of(csv_path), 0600);
    umask(022);
    ck_assert_int_eq(chmod(tree_path, 0604), 0);
    ck_assert_int_eq(chmod(csv_path, 0604), 0);
    ASSERT_OK(deep_tree_save(tree, tree_path));
    ASSERT_OK(deep_dataset_write_csv(data, csv_path));
    ck_assert_uint_eq(mode_of(tree_path), 0604);
    ck_assert_uint_eq(mode_of(csv_path), 0604);
    umask(umask_before);
    deep_tree_free(tree);
    deep_dataset_free(data);
    deep_model_free(model);
    scratch_close(&s);
}
END_TEST

/* A save through a symbolic link (relative, absolute, a chain, a dangling one) replaces
 * the file the link names and leaves the link a link. */
START_TEST(save_writes_through_symbolic_links)
{
    scratch s;
    scratch_open(&s, "models");
    ck_assert_int_eq(mkdir(s.path, 0755), 0);
    char real[200], link1[200], link2[200], dangling[200], csv_link[200], csv_real[200];
    snprintf(real, sizeof real, "%s/real.safetensors", s.path);
    scratch_file(&s, "link1", link1, sizeof link1);
    scratch_file(&s, "link2", link2, sizeof link2);
    scratch_file(&s, "dangling", dangling, sizeof dangling);
    ck_assert_int_eq(symlink("models/real.safetensors", link1), 0); /* relative to the link's directory */
    ck_assert_int_eq(symlink(link1, link2), 0);                     /* absolute, to another link */
    ck_assert_int_eq(symlink("models/new.safetensors", dangling), 0);

    deep_model *model = fixture_tiny(1);
    fixture_compile(model, DEEP_OPTIMIZER_SGD, DEEP_LOSS_BINARY_CROSSENTROPY);
    size_t length;
    uint8_t *bytes = model_bytes(model, &length);
    write_text(real, "an older file");
    ck_assert_int_eq(chmod(real, 0600), 0);
    ASSERT_OK(deep_model_save(model, link2));
    struct stat st;
    ck_assert(lstat(link1, &st) == 0 && S_ISLNK(st.st_mode));
    ck_assert(lstat(link2, &st) == 0 && S_ISLNK(st.st_mode));
    ck_assert(lstat(real, &st) == 0 && S_ISREG(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    ck_assert(same_file(real, bytes, length));
    deep_model *loaded = NULL;
    ASSERT_OK(deep_model_load(link2, &loaded));
    deep_model_free(loaded);

    ASSERT_OK(deep_model_save(model, dangling));
    ck_assert(lstat(dangling, &st) == 0 && S_ISLNK(st.st_mode));
    char made[200];
    snprintf(made, sizeof made, "%s/new.safetensors", s.path);
    ck_assert(same_file(made, bytes, length));

    /* A loop of links is an error naming the path. */
    char loop[200];
    scratch_file(&s, "loop", loop, sizeof loop);
    ck_assert_int_eq(symlink("loop", loop), 0);
    ASSERT_FAILS_WITH(deep_model_save(model, loop), DEEP_ERR_IO, "deep_model_save", "loop");

    /* The CSV writer shares the rule. */
    float x[2] = {1, 2};
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(1, 1, (const int64_t[]){2}, x, &data));
    snprintf(csv_real, sizeof csv_real, "%s/table.csv", s.path);
    scratch_file(&s, "table-link.csv", csv_link, sizeof csv_link);
    ck_assert_int_eq(symlink(csv_real, csv_link), 0);
    write_text(csv_real, "old\n");
    ASSERT_OK(deep_dataset_write_csv(data, csv_link));
    ck_assert(lstat(csv_link, &st) == 0 && S_ISLNK(st.st_mode));
    ck_assert(same_file(csv_real, (const uint8_t *)"f0,f1\n1,2\n", 10));
    deep_dataset_free(data);
    free(bytes);
    deep_model_free(model);
    scratch_close(&s);
}
END_TEST

/* A target that exists but is not a regular file — a directory, a FIFO — is refused
 * before anything is written, and is still there afterwards. */
START_TEST(save_refuses_what_is_not_a_regular_file)
{
    scratch s;
    scratch_open(&s, "fifo");
    ck_assert_int_eq(mkfifo(s.path, 0600), 0);
    char dir[200], link[200];
    scratch_file(&s, "dir", dir, sizeof dir);
    scratch_file(&s, "link-to-fifo", link, sizeof link);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    ck_assert_int_eq(symlink("fifo", link), 0);
    deep_model *model = fixture_tiny(1);
    ASSERT_FAILS_WITH(deep_model_save(model, s.path), DEEP_ERR_IO, "deep_model_save",
                      "it is a FIFO, not a regular file");
    ASSERT_FAILS_WITH(deep_model_save(model, link), DEEP_ERR_IO, "deep_model_save", "it is a FIFO");
    ASSERT_FAILS_WITH(deep_model_save(model, dir), DEEP_ERR_IO, "deep_model_save", "it is a directory");
    float x[2] = {1, 2};
    deep_dataset *data = NULL;
    ASSERT_OK(deep_dataset_new(1, 1, (const int64_t[]){2}, x, &data));
    ASSERT_FAILS_WITH(deep_dataset_write_csv(data, s.path), DEEP_ERR_IO, "deep_dataset_write_csv", "a FIFO");
    struct stat st;
    ck_assert(lstat(s.path, &st) == 0 && S_ISFIFO(st.st_mode));
    ck_assert(lstat(dir, &st) == 0 && S_ISDIR(st.st_mode));
    ck_assert_int_eq(scratch_entries(&s), 3);
    deep_dataset_free(data);
    deep_model_free(model);
    scratch_close(&s);
}
END_TEST

/* A save killed midway (here by the file size limit's SIGXFSZ) leaves a temporary file
 * ".<name>.deep-tmp-<pid>-XXXXXX" and the old file. The next save to that path removes
 * it once its process is gone and it has not changed for a while; a live save's, a
 * fresh one's and other targets' temporary files stay. */
START_TEST(killed_save_leftovers_are_removed)
{
    scratch s;
    scratch_open(&s, "model.safetensors");
    deep_model *tiny = fixture_tiny(1), *big = compiled_model();
    fixture_compile(tiny, DEEP_OPTIMIZER_SGD, DEEP_LOSS_BINARY_CROSSENTROPY);
    ASSERT_OK(deep_model_save(tiny, s.path));
    size_t old_length;
    uint8_t *old = read_all(s.path, &old_length);

    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        struct rlimit small = {4000, 4000};
        signal(SIGXFSZ, SIG_DFL);
        setrlimit(RLIMIT_FSIZE, &small);
        deep_model_save(big, s.path);
        _exit(0);
    }
    int how = 0;
    ck_assert_int_eq(waitpid(child, &how, 0), child);
    ck_assert(WIFSIGNALED(how) && WTERMSIG(how) == SIGXFSZ);
    ck_assert(same_file(s.path, old, old_length));
    char leftover[256], expected[64];
    ck_assert(scratch_find(&s, ".model.safetensors.deep-tmp-", leftover, sizeof leftover));
    snprintf(expected, sizeof expected, ".model.safetensors.deep-tmp-%ld-", (long)child);
    ck_assert_msg(strncmp(leftover, expected, strlen(expected)) == 0 && strlen(leftover) == strlen(expected) + 6,
                  "leftover %s", leftover);
    char leftover_path[400];
    snprintf(leftover_path, sizeof leftover_path, "%s/%s", s.dir, leftover);

    /* Fresh: kept (its process might be one this machine cannot see). */
    ASSERT_OK(deep_model_save(tiny, s.path));
    ck_assert_int_eq(scratch_entries(&s), 2);

    char live[400], fresh_dead[400], other[400], odd[400];
    snprintf(live, sizeof live, "%s/.model.safetensors.deep-tmp-%ld-abcdef", s.dir, (long)getpid());
    snprintf(fresh_dead, sizeof fresh_dead, "%s/.model.safetensors.deep-tmp-%ld-ghijkl", s.dir, (long)dead_pid());
    snprintf(other, sizeof other, "%s/.other.safetensors.deep-tmp-%ld-abcdef", s.dir, (long)dead_pid());
    snprintf(odd, sizeof odd, "%s/.model.safetensors.deep-tmp-%ld-abc", s.dir, (long)dead_pid());
    write_text(live, "a live save");
    write_text(fresh_dead, "written a moment ago");
    write_text(other, "another target's");
    write_text(odd, "not a name the writer makes");
    make_old(live);
    make_old(other);
    make_old(odd);
    make_old(leftover_path);
    ASSERT_OK(deep_model_save(tiny, s.path));
    ck_assert(!scratch_find(&s, leftover, leftover_path, sizeof leftover_path));
    struct stat st;
    ck_assert_int_eq(stat(live, &st), 0);
    ck_assert_int_eq(stat(fresh_dead, &st), 0);
    ck_assert_int_eq(stat(other, &st), 0);
    ck_assert_int_eq(stat(odd, &st), 0);
    ck_assert_int_eq(scratch_entries(&s), 5);
    free(old);
    deep_model_free(tiny);
    deep_model_free(big);
    scratch_close(&s);
}
END_TEST

/* Long target names: the temporary name keeps the first 200 bytes and a hash of the whole
 * name, so it stays within NAME_MAX, and the cleanup after a save removes the stale
 * temporary files of its own target only, not those of another name with the same first
 * 200 bytes. */
START_TEST(long_names_clean_up_only_their_own_leftovers)
{
    scratch s;
    scratch_open(&s, "unused");
    char a[256], b[256], exact[256];
    memset(a, 'n', 240);
    memcpy(b, a, 240);
    memcpy(exact, a, 200);
    a[240] = b[240] = exact[200] = '\0';
    a[230] = 'a'; /* a and b differ only past byte 200 */
    b[230] = 'b';
    char pa[DEEP_FILE_TMP_PREFIX_MAX + 1], pb[DEEP_FILE_TMP_PREFIX_MAX + 1], pe[DEEP_FILE_TMP_PREFIX_MAX + 1];
    size_t na = deep_file_tmp_prefix(a, pa, sizeof pa), nb = deep_file_tmp_prefix(b, pb, sizeof pb);
    size_t ne = deep_file_tmp_prefix(exact, pe, sizeof pe);
    ck_assert_uint_eq(na, DEEP_FILE_TMP_PREFIX_MAX);
    ck_assert_uint_eq(nb, DEEP_FILE_TMP_PREFIX_MAX);
    ck_assert_str_ne(pa, pb);
    ck_assert_int_eq(strncmp(pa, pb, 201), 0);
    ck_assert_uint_eq(ne, 1 + 200 + strlen(".deep-tmp-")); /* 200 bytes are kept whole */
    ck_assert_int_eq(strncmp(pe + 1, exact, 200), 0);
    ck_assert_str_eq(pe + 201, ".deep-tmp-");
    char short_prefix[64];
    deep_file_tmp_prefix("model.safetensors", short_prefix, sizeof short_prefix);
    ck_assert_str_eq(short_prefix, ".model.safetensors.deep-tmp-");

    /* A save's own temporary file has that prefix, and a name NAME_MAX allows. */
    char path_a[400], path_b[400];
    scratch_file(&s, a, path_a, sizeof path_a);
    scratch_file(&s, b, path_b, sizeof path_b);
    deep_file_writer w;
    ASSERT_OK(deep_file_begin("test", path_a, &w));
    char tmp_name[256];
    ck_assert(scratch_find(&s, pa, tmp_name, sizeof tmp_name));
    ck_assert_uint_le(strlen(tmp_name), 255);
    deep_file_put(&w, "x", 1);
    ASSERT_OK(deep_file_commit(&w, 0));

    /* Stale leftovers of both targets; saving a removes a's only. */
    char stale_a[512], stale_b[512];
    snprintf(stale_a, sizeof stale_a, "%s/%s%ld-abcdef", s.dir, pa, (long)dead_pid());
    snprintf(stale_b, sizeof stale_b, "%s/%s%ld-abcdef", s.dir, pb, (long)dead_pid());
    write_text(stale_a, "a killed save of a");
    write_text(stale_b, "a killed save of b");
    make_old(stale_a);
    make_old(stale_b);
    ASSERT_OK(deep_file_write_atomic("test", path_a, "y", 1));
    struct stat st;
    ck_assert_int_ne(stat(stale_a, &st), 0);
    ck_assert_int_eq(stat(stale_b, &st), 0);
    ASSERT_OK(deep_file_write_atomic("test", path_b, "z", 1));
    ck_assert_int_ne(stat(stale_b, &st), 0);
    ck_assert_int_eq(scratch_entries(&s), 2); /* a and b themselves */
    scratch_close(&s);
}
END_TEST

/* ---- loaders ------------------------------------------------------------------------------ */

/* /dev/zero, a directory and a FIFO without a writer are refused at once, naming the
 * path, by every loader that reads whole files; none reads them (or waits). */
START_TEST(loaders_refuse_what_is_not_a_regular_file)
{
    scratch s;
    scratch_open(&s, "fifo");
    ck_assert_int_eq(mkfifo(s.path, 0600), 0);
    const char *paths[] = {"/dev/zero", s.dir, s.path};
    const char *kinds[] = {"it is a character device, not a regular file", "it is a directory",
                           "it is a FIFO"};
    deep_vocab *vocab = NULL;
    ASSERT_OK(deep_vocab_new(DEEP_TOKENS_WORDS, &vocab));
    for (int i = 0; i < 3; i++) {
        char fragment[200];
        snprintf(fragment, sizeof fragment, "'%s': %s", paths[i], kinds[i]);
        deep_model *model = (deep_model *)1;
        ASSERT_FAILS_WITH(deep_model_load(paths[i], &model), DEEP_ERR_IO, "deep_model_load", fragment);
        ck_assert_ptr_null(model);
        deep_tree *tree = NULL;
        ASSERT_FAILS_WITH(deep_tree_load(paths[i], &tree), DEEP_ERR_IO, "deep_tree_load", fragment);
        deep_forest *forest = NULL;
        ASSERT_FAILS_WITH(deep_forest_load(paths[i], &forest), DEEP_ERR_IO, "deep_forest_load", fragment);
        ASSERT_FAILS_WITH(deep_vocab_add_file(vocab, paths[i]), DEEP_ERR_IO, "deep_vocab_add_file", fragment);
    }
    deep_vocab_free(vocab);
    scratch_close(&s);
}
END_TEST

/* Exactly the size fstat reports is read: a file that has more (here a /proc file, whose
 * size reads as 0) is an error, not a read without end; an empty file is an empty file. */
START_TEST(loader_reads_the_size_it_was_told)
{
    deep_model *model = NULL;
    ASSERT_FAILS_WITH(deep_model_load("/proc/self/status", &model), DEEP_ERR_IO, "deep_model_load",
                      "changed size while it was read");
    scratch s;
    scratch_open(&s, "empty");
    write_text(s.path, "");
    ASSERT_FAILS(deep_model_load(s.path, &model), DEEP_ERR_FORMAT, "deep_model_load");
    deep_vocab *vocab = NULL;
    ASSERT_OK(deep_vocab_new(DEEP_TOKENS_WORDS, &vocab));
    ASSERT_OK(deep_vocab_add_file(vocab, s.path));
    write_text(s.path, "a b a");
    ASSERT_OK(deep_vocab_add_file(vocab, s.path));
    ASSERT_OK(deep_vocab_freeze(vocab, 0, 1));
    int64_t size = 0;
    ASSERT_OK(deep_vocab_size(vocab, &size));
    ck_assert_int_eq(size, 4); /* the reserved 0 and 1, then "a" and "b" */
    deep_vocab_free(vocab);
    ASSERT_FAILS_WITH(deep_model_load("/nonexistent/model", &model), DEEP_ERR_IO, "deep_model_load",
                      "cannot open '/nonexistent/model'");
    scratch_close(&s);
}
END_TEST

static Suite *files_suite(void)
{
    Suite *suite = suite_create("files");
    TCase *memory = tcase_create("memory");
    tcase_set_timeout(memory, 60);
    tcase_add_test(memory, save_stops_when_memory_runs_out);
    tcase_add_test(memory, save_refuses_non_finite_weights);
    suite_add_tcase(suite, memory);

    TCase *saving = tcase_create("saving");
    tcase_set_timeout(saving, 60);
    tcase_add_test(saving, save_keeps_the_mode);
    tcase_add_test(saving, save_writes_through_symbolic_links);
    tcase_add_test(saving, save_refuses_what_is_not_a_regular_file);
    tcase_add_test(saving, killed_save_leftovers_are_removed);
    tcase_add_test(saving, long_names_clean_up_only_their_own_leftovers);
    suite_add_tcase(suite, saving);

    TCase *loading = tcase_create("loading");
    tcase_set_timeout(loading, 30);
    tcase_add_test(loading, loaders_refuse_what_is_not_a_regular_file);
    tcase_add_test(loading, loader_reads_the_size_it_was_told);
    suite_add_tcase(suite, loading);
    return suite;
}

int main(void)
{
    return run_suite(files_suite(), CK_NORMAL);
}
