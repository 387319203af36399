/* allocstress: heavy malloc/free/realloc/calloc traffic. A table of slots
 * holds blocks of varied sizes (mostly small, some of several KiB, a few
 * up to 48 KiB; at most 2.5 MiB live), each carrying a pattern derived
 * from its serial number (in every byte of a small block, at the ends and
 * every 61st byte of a big one) that is checked before the block is freed
 * or after it is moved by realloc; calloc'd blocks must read as zero. A
 * sorted doubly linked list of malloc'd nodes gets inserts and removals
 * beside it. At the end everything is freed and one large block must fit.
 * Usage: allocstress SEED [OPS]
 * Prints operation counts, peak and final live bytes, the number of 64 KiB
 * pages of linear memory, the list's length and checksum and a checksum of
 * all verified bytes. Exit code 6 on a corrupted block. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 384
#define LIVE_LIMIT (2560 * 1024)

static uint32_t rng_state;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

typedef struct {
    uint8_t *p;
    size_t size;
    uint32_t serial;
    int zeroed; /* from calloc, not yet patterned */
} slot;

typedef struct node {
    struct node *prev, *next;
    uint32_t value;
    uint32_t check;
} node;

static slot slots[SLOTS];
static size_t live, peak;
static uint32_t checksum = 0x12345678;
static unsigned long corrupt;

static uint8_t pat(uint32_t serial, size_t i) { return (uint8_t)(serial * 31 + i * 7 + (i >> 8)); }

/* The pattern goes in every byte of a small block; in the 16 bytes at each
 * end and every 61st byte of a big one (the rest is left as malloc gave it).
 * Blocks from calloc are checked at the same places, for zero. */
static void fill(slot *s) {
    s->zeroed = 0;
    if (s->size <= 64) {
        for (size_t i = 0; i < s->size; i++) s->p[i] = pat(s->serial, i);
        return;
    }
    for (size_t i = 0; i < 16; i++) {
        s->p[i] = pat(s->serial, i);
        s->p[s->size - 1 - i] = pat(s->serial, s->size - 1 - i);
    }
    for (size_t i = 61; i < s->size - 16; i += 61) s->p[i] = pat(s->serial, i);
}

static int check_byte(const slot *s, size_t i) {
    uint8_t want = s->zeroed ? 0 : pat(s->serial, i);
    checksum = (checksum ^ s->p[i]) * 16777619u;
    if (s->p[i] == want) return 1;
    if (corrupt++ < 5) printf("corrupt: serial %u size %zu byte %zu\n", s->serial, s->size, i);
    return 0;
}

/* Checks the patterned bytes among the first `upto` of a block. */
static void verify(const slot *s, size_t upto) {
    if (s->size <= 64) {
        for (size_t i = 0; i < upto; i++)
            if (!check_byte(s, i)) return;
        return;
    }
    for (size_t i = 0; i < 16 && i < upto; i++)
        if (!check_byte(s, i)) return;
    for (size_t i = 61; i < s->size - 16 && i < upto; i += 61)
        if (!check_byte(s, i)) return;
    for (size_t i = s->size - 16; i < upto; i++)
        if (!check_byte(s, i)) return;
}

static size_t pick_size(void) {
    uint32_t r = rng() % 100;
    if (r < 75) return 1 + rng() % 256;
    if (r < 97) return 256 + rng() % 3840;
    return 4096 + rng() % (44 * 1024);
}

int main(int argc, char **argv) {
    uint32_t seed = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 0;
    int ops = argc > 2 ? atoi(argv[2]) : 600 + (int)(seed % 8) * 50;
    rng_state = seed * 1664525u + 1013904223u;
    if (!rng_state) rng_state = 1;
    unsigned long n_malloc = 0, n_calloc = 0, n_free = 0, n_realloc = 0, n_insert = 0, n_remove = 0;
    uint32_t serial = 0;
    node head = {&head, &head, 0, 0};
    size_t list_len = 0;

    for (int op = 0; op < ops; op++) {
        slot *s = &slots[rng() % SLOTS];
        uint32_t what = rng() % 10;
        if (what < 2) {
            /* list: insert in order, or remove the first node >= a value */
            uint32_t v = rng() % 100000;
            if (what == 0 || list_len == 0) {
                node *n = malloc(sizeof(node));
                if (!n) return 1;
                n->value = v;
                n->check = v ^ 0xdeadbeefu;
                node *at = head.next;
                while (at != &head && at->value < v) at = at->next;
                n->next = at;
                n->prev = at->prev;
                at->prev->next = n;
                at->prev = n;
                list_len++;
                n_insert++;
            } else {
                node *at = head.next;
                while (at != &head && at->value < v) at = at->next;
                if (at == &head) at = head.prev;
                if (at->check != (at->value ^ 0xdeadbeefu)) corrupt++;
                at->prev->next = at->next;
                at->next->prev = at->prev;
                free(at);
                list_len--;
                n_remove++;
            }
        } else if (s->p && what < 5) {
            verify(s, s->size);
            free(s->p);
            live -= s->size;
            s->p = NULL;
            n_free++;
        } else if (s->p && what < 7) {
            size_t ns = what == 5 ? s->size + 1 + rng() % (s->size + 64) : 1 + rng() % s->size;
            if (live - s->size + ns > LIVE_LIMIT) continue;
            uint8_t *np = realloc(s->p, ns);
            if (!np) return 1;
            s->p = np;
            size_t keep = ns < s->size ? ns : s->size;
            slot old = *s;
            old.size = s->size;
            verify(&old, keep);
            live = live - s->size + ns;
            s->size = ns;
            s->serial = ++serial;
            fill(s);
            n_realloc++;
        } else if (!s->p) {
            size_t size = pick_size();
            if (live + size > LIVE_LIMIT) continue;
            if (what == 9) {
                s->p = calloc(1, size);
                s->zeroed = 1;
                n_calloc++;
            } else {
                s->p = malloc(size);
                s->zeroed = 0;
                n_malloc++;
            }
            if (!s->p) return 1;
            s->size = size;
            s->serial = ++serial;
            if (!s->zeroed) fill(s);
            live += size;
            if (live > peak) peak = live;
        } else {
            verify(s, s->size < 64 ? s->size : 64);
        }
    }

    uint32_t lsum = 0, prev = 0;
    int sorted = 1;
    for (node *n = head.next; n != &head; n = n->next) {
        if (n->value < prev) sorted = 0;
        prev = n->value;
        lsum = lsum * 31 + n->value;
    }
    printf("ops=%d malloc=%lu calloc=%lu realloc=%lu free=%lu insert=%lu remove=%lu\n", ops, n_malloc, n_calloc,
           n_realloc, n_free, n_insert, n_remove);
    printf("peak=%zu live=%zu pages=%zu\n", peak, live, (size_t)__builtin_wasm_memory_size(0));
    printf("list len=%zu sorted=%d sum=%08x\n", list_len, sorted, lsum);

    for (int i = 0; i < SLOTS; i++)
        if (slots[i].p) {
            verify(&slots[i], slots[i].size);
            free(slots[i].p);
        }
    while (head.next != &head) {
        node *n = head.next;
        head.next = n->next;
        free(n);
    }
    size_t big_size = 2 * 1024 * 1024;
    uint8_t *big = malloc(big_size);
    uint32_t big_sum = 0;
    if (big) {
        for (size_t i = 0; i < big_size; i += 4096) big[i] = (uint8_t)(i >> 12);
        for (size_t i = 0; i < big_size; i += 4096) big_sum = big_sum * 3 + big[i];
    }
    printf("big block %s sum=%08x, pages=%zu\n", big ? "ok" : "FAILED", big_sum, (size_t)__builtin_wasm_memory_size(0));
    free(big);
    printf("checksum=%08x corrupt=%lu\n", checksum, corrupt);
    return corrupt ? 6 : 0;
}
