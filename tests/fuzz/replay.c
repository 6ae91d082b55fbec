/* Runs a fuzz target over the inputs it was given, without libFuzzer: each argument is a
 * file or a folder of files (a corpus), fed to LLVMFuzzerTestOneInput in name order. The
 * meson tests replay the corpora in tests/fuzz/corpus this way, under the sanitizers in
 * CI, so that every input the fuzzers kept stays handled. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static long replayed;

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        exit(2);
    }
    size_t capacity = 4096, size = 0, got;
    unsigned char *data = malloc(capacity);
    while (data != NULL && (got = fread(data + size, 1, capacity - size, f)) > 0) {
        size += got;
        if (size == capacity)
            data = realloc(data, capacity *= 2);
    }
    if (data == NULL || ferror(f)) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    replayed++;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: no such input %s\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    struct dirent **entries;
    int n = scandir(path, &entries, NULL, NULL);
    if (n < 0) {
        fprintf(stderr, "replay: cannot list %s\n", path);
        exit(2);
    }
    char **names = malloc((size_t)n * sizeof *names);
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (entries[i]->d_name[0] != '.') {
            size_t len = strlen(path) + strlen(entries[i]->d_name) + 2;
            names[count] = malloc(len);
            snprintf(names[count++], len, "%s/%s", path, entries[i]->d_name);
        }
        free(entries[i]);
    }
    free(entries);
    qsort(names, (size_t)count, sizeof *names, by_name);
    for (int i = 0; i < count; i++) {
        replay_path(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    if (LLVMFuzzerInitialize != NULL)
        LLVMFuzzerInitialize(&argc, &argv);
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        replay_path(argv[i]);
    if (replayed == 0) {
        fprintf(stderr, "replay: no inputs found\n");
        return 1;
    }
    printf("replayed %ld inputs without a failure\n", replayed);
    return 0;
}
