/* wordfreq: a word count and histogram over text read from stdin.
 * Usage: wordfreq [TOP] < text
 * Reads all of stdin into a growing buffer (realloc), counts lines, words
 * and bytes like wc, counts each distinct word (lowercased ASCII letters,
 * digits and apostrophes) in a chained hash table whose nodes are malloc'd,
 * then sorts the words by count (descending, ties alphabetical) with qsort
 * and prints the TOP most frequent (default 10), a word-length histogram,
 * the five most common letters and an FNV-1a hash of the input. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct word {
    struct word *next;
    unsigned count;
    unsigned len;
    char text[];
} word;

#define BUCKETS 1024

static word *table[BUCKETS];
static unsigned distinct;

static uint32_t hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static void add(const char *s, size_t n) {
    uint32_t h = hash(s, n) % BUCKETS;
    for (word *w = table[h]; w; w = w->next)
        if (w->len == n && memcmp(w->text, s, n) == 0) {
            w->count++;
            return;
        }
    word *w = malloc(sizeof(word) + n + 1);
    if (!w) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    memcpy(w->text, s, n);
    w->text[n] = 0;
    w->len = (unsigned)n;
    w->count = 1;
    w->next = table[h];
    table[h] = w;
    distinct++;
}

static int by_count(const void *a, const void *b) {
    const word *x = *(word *const *)a, *y = *(word *const *)b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->text, y->text);
}

static int is_word_char(int c) { return isalnum(c) || c == '\''; }

int main(int argc, char **argv) {
    int top = argc > 1 ? atoi(argv[1]) : 10;
    size_t cap = 1024, len = 0;
    char *text = malloc(cap);
    size_t n;
    while (text && (n = fread(text + len, 1, cap - len, stdin)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            text = realloc(text, cap);
        }
    }
    if (!text) return 1;

    unsigned long lines = 0, words = 0, letters[26] = {0}, lengths[16] = {0};
    char buf[64];
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') lines++;
        if (!is_word_char(c)) {
            i++;
            continue;
        }
        size_t start = i, wl = 0;
        while (i < len && is_word_char((unsigned char)text[i])) {
            unsigned char d = (unsigned char)tolower((unsigned char)text[i]);
            if (d >= 'a' && d <= 'z') letters[d - 'a']++;
            if (wl < sizeof buf) buf[wl++] = (char)d;
            i++;
        }
        words++;
        lengths[(i - start) < 15 ? (i - start) : 15]++;
        add(buf, wl);
    }

    word **all = malloc(sizeof(word *) * (distinct ? distinct : 1));
    size_t k = 0;
    for (int b = 0; b < BUCKETS; b++)
        for (word *w = table[b]; w; w = w->next) all[k++] = w;
    qsort(all, distinct, sizeof(word *), by_count);

    printf("bytes=%zu lines=%lu words=%lu distinct=%u fnv=%08x\n", len, lines, words, distinct, hash(text, len));
    for (int t = 0; t < top && t < (int)distinct; t++) printf("%3d %6u %s\n", t + 1, all[t]->count, all[t]->text);
    printf("lengths:");
    for (int l = 1; l < 16; l++) printf(" %lu", lengths[l]);
    printf("\nletters:");
    for (int t = 0; t < 5; t++) {
        int best = 0;
        for (int c = 1; c < 26; c++)
            if (letters[c] > letters[best]) best = c;
        printf(" %c=%lu", 'a' + best, letters[best]);
        letters[best] = 0;
    }
    printf("\n");
    if (distinct) printf("rarest=%s (%u)\n", all[distinct - 1]->text, all[distinct - 1]->count);
    for (size_t j = 0; j < distinct; j++) free(all[j]);
    free(all);
    free(text);
    return 0;
}
