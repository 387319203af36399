/* sortbench: sorting records through function pointers. Generates N records
 * (an int key, a double score, a short name) from a seed and sorts them
 * with qsort by four different comparators, with a merge sort of its own
 * (stable; comparator passed as a function pointer) and an insertion sort
 * picked from a table of sort functions; checks every result is ordered,
 * that the stable sort kept ties in input order, and looks keys up with
 * bsearch. Then a table of TABLE records (256 KiB) is sorted by key through
 * an index with an LSD radix sort (two byte passes, stable), checked with
 * the key comparator and searched with bsearch on the index.
 * Usage: sortbench SEED [N]
 * Prints, per sort, a checksum of the order and the first and last record.
 * Exit code 5 when a check fails. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int key;
    int id; /* input position */
    double score;
    char name[12];
} rec;

#define TABLE 8192

typedef int (*cmp_fn)(const void *, const void *);
typedef void (*sort_fn)(rec *, size_t, cmp_fn);

static uint32_t rng_state;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static int by_key(const void *a, const void *b) {
    const rec *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static int by_score_desc(const void *a, const void *b) {
    const rec *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

static int by_name(const void *a, const void *b) {
    const rec *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->id > y->id) - (x->id < y->id);
}

static int by_key_mod_then_name(const void *a, const void *b) {
    const rec *x = a, *y = b;
    int kx = x->key % 97, ky = y->key % 97;
    if (kx != ky) return kx - ky;
    return by_name(a, b);
}

/* Only the low byte of the key: many ties, for the stability check. */
static int by_low_byte(const void *a, const void *b) {
    const rec *x = a, *y = b;
    return (x->key & 0xff) - (y->key & 0xff);
}

static rec *scratch;

static void merge_sort_rec(rec *a, size_t n, cmp_fn cmp) {
    if (n < 2) return;
    size_t h = n / 2;
    merge_sort_rec(a, h, cmp);
    merge_sort_rec(a + h, n - h, cmp);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) scratch[k++] = cmp(&a[j], &a[i]) < 0 ? a[j++] : a[i++];
    while (i < h) scratch[k++] = a[i++];
    while (j < n) scratch[k++] = a[j++];
    memcpy(a, scratch, n * sizeof(rec));
}

static void merge_sort(rec *a, size_t n, cmp_fn cmp) { merge_sort_rec(a, n, cmp); }

static void insertion_sort(rec *a, size_t n, cmp_fn cmp) {
    for (size_t i = 1; i < n; i++) {
        rec v = a[i];
        size_t j = i;
        while (j > 0 && cmp(&a[j - 1], &v) > 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static void qsort_wrap(rec *a, size_t n, cmp_fn cmp) { qsort(a, n, sizeof(rec), cmp); }

static uint32_t order_sum(const rec *a, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint32_t)a[i].id) * 16777619u;
    return h;
}

static int failures;

static void report(const char *what, const rec *a, size_t n, cmp_fn cmp, int stable) {
    for (size_t i = 1; i < n; i++) {
        int c = cmp(&a[i - 1], &a[i]);
        if (c > 0 || (stable && c == 0 && a[i - 1].id > a[i].id)) {
            printf("%s: out of order at %zu\n", what, i);
            failures++;
            break;
        }
    }
    printf("%-14s order=%08x first=(%d,%.4f,%s) last=(%d,%.4f,%s)\n", what, order_sum(a, n), a[0].key, a[0].score,
           a[0].name, a[n - 1].key, a[n - 1].score, a[n - 1].name);
}

/* The big table, for the index comparator of bsearch. */
static const rec *table;

static int idx_by_key(const void *a, const void *b) {
    return by_key(&table[*(const uint32_t *)a], &table[*(const uint32_t *)b]);
}

/* bsearch's: a record with the key sought against an index entry. */
static int key_vs_idx(const void *k, const void *e) { return by_key(k, &table[*(const uint32_t *)e]); }

/* One stable counting-sort pass of the index by byte `shift / 8` of key + 10000. */
static void radix_pass(const rec *t, const uint32_t *in, uint32_t *out, size_t n, int shift) {
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) count[((uint32_t)(t[in[i]].key + 10000) >> shift & 0xff) + 1]++;
    for (int b = 0; b < 256; b++) count[b + 1] += count[b];
    for (size_t i = 0; i < n; i++) out[count[(uint32_t)(t[in[i]].key + 10000) >> shift & 0xff]++] = in[i];
}

int main(int argc, char **argv) {
    uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 0;
    size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 160 + seed % 64;
    rng_state = seed * 747796405u + 2891336453u;
    if (!rng_state) rng_state = 1;
    rec *orig = malloc(n * sizeof(rec)), *a = malloc(n * sizeof(rec));
    scratch = malloc(n * sizeof(rec));
    if (!orig || !a || !scratch) return 1;
    static const char syl[][4] = {"ka", "ri", "mo", "to", "ne", "sa", "lu", "vi", "da", "po"};
    for (size_t i = 0; i < n; i++) {
        orig[i].key = (int)(rng() % 20000) - 10000;
        orig[i].id = (int)i;
        orig[i].score = (double)(rng() % 1000000) / 1000.0 - 250.0;
        int parts = 1 + rng() % 4;
        orig[i].name[0] = 0;
        for (int p = 0; p < parts; p++) strcat(orig[i].name, syl[rng() % 10]);
    }
    printf("n=%zu\n", n);

    static const struct {
        const char *name;
        cmp_fn cmp;
    } cmps[] = {{"key", by_key}, {"score_desc", by_score_desc}, {"name", by_name}, {"key%97,name", by_key_mod_then_name}};
    for (int c = 0; c < 4; c++) {
        memcpy(a, orig, n * sizeof(rec));
        qsort(a, n, sizeof(rec), cmps[c].cmp);
        report(cmps[c].name, a, n, cmps[c].cmp, 0);
    }

    /* Stable sorts on a comparator with many ties, through a table. */
    static const struct {
        const char *name;
        sort_fn sort;
        size_t limit;
    } sorts[] = {{"merge", merge_sort, 100000}, {"insertion", insertion_sort, 64}, {"qsort", qsort_wrap, 100000}};
    for (int s = 0; s < 3; s++) {
        size_t m = n < sorts[s].limit ? n : sorts[s].limit;
        memcpy(a, orig, m * sizeof(rec));
        sorts[s].sort(a, m, by_low_byte);
        report(sorts[s].name, a, m, by_low_byte, s < 2);
    }

    /* bsearch keys in the key order (duplicates: any match is fine, so
     * print only whether found). */
    memcpy(a, orig, n * sizeof(rec));
    qsort(a, n, sizeof(rec), by_key);
    int found = 0;
    long keysum = 0;
    for (int probe = -10000; probe < 10000; probe += 37) {
        rec k = {.key = probe};
        rec *r = bsearch(&k, a, n, sizeof(rec), by_key);
        if (r) {
            found++;
            keysum += r->key;
        }
    }
    printf("bsearch found=%d keysum=%ld\n", found, keysum);

    /* The table: records with two-syllable names, made in four parts. */
    rec *big = malloc(TABLE * sizeof(rec));
    uint32_t *idx = malloc(TABLE * sizeof(uint32_t)), *idx2 = malloc(TABLE * sizeof(uint32_t));
    if (!big || !idx || !idx2) return 1;
    for (size_t i = 0; i < TABLE; i++) {
        rec *r = &big[i];
        memset(r, 0, sizeof *r);
        r->key = (int)(rng() % 20000) - 10000;
        r->id = (int)i;
        r->score = (double)(rng() % 1000000) / 1000.0 - 250.0;
        uint32_t s = rng();
        memcpy(r->name, syl[s % 10], 2);
        memcpy(r->name + 2, syl[s / 10 % 10], 2);
        idx[i] = (uint32_t)i;
        if (i % (TABLE / 4) == TABLE / 4 - 1) printf("table %zu: key=%d score=%.3f name=%s\n", i, r->key, r->score, r->name);
    }
    table = big;
    radix_pass(big, idx, idx2, TABLE, 0);
    radix_pass(big, idx2, idx, TABLE, 8);
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < TABLE; i++) {
        if (i && (idx_by_key(&idx[i - 1], &idx[i]) > 0 || (big[idx[i - 1]].key == big[idx[i]].key && idx[i - 1] > idx[i]))) {
            printf("radix: out of order at %zu\n", i);
            failures++;
            break;
        }
        h = (h ^ idx[i]) * 16777619u;
    }
    const rec *lo = &big[idx[0]], *hi = &big[idx[TABLE - 1]];
    printf("radix %d order=%08x first=(%d,%.4f,%s) last=(%d,%.4f,%s)\n", TABLE, h, lo->key, lo->score, lo->name, hi->key,
           hi->score, hi->name);
    found = 0;
    keysum = 0;
    for (int probe = -10000; probe < 10000; probe += 37) {
        rec k = {.key = probe};
        const uint32_t *r = bsearch(&k, idx, TABLE, sizeof(uint32_t), key_vs_idx);
        if (r) {
            found++;
            keysum += big[*r].key;
        }
    }
    printf("table bsearch found=%d keysum=%ld\n", found, keysum);
    free(idx2);
    free(idx);
    free(big);
    free(scratch);
    free(a);
    free(orig);
    return failures ? 5 : 0;
}
