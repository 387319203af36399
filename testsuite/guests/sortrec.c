/* sortrec: recursion, qsort through a comparison function pointer, and a
 * function-pointer table.
 * Usage: sortrec SEED
 * Prints a checksum and a few sorted elements. Exit code: 3 when
 * SEED % 7 == 3 (returned from main), 5 when SEED % 7 == 5 (exit() called
 * from inside a recursion), else 0. */
#include <stdio.h>
#include <stdlib.h>

static unsigned rng_state;

static unsigned rng(void) {
    /* xorshift32 */
    unsigned x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rng_state = x;
    return x;
}

static unsigned ackermann(unsigned m, unsigned n) {
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static unsigned fib(unsigned n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/* Calls exit() at the bottom of a recursion when asked to. */
static unsigned depth_sum(unsigned depth, int exit_at_bottom) {
    if (depth == 0) {
        if (exit_at_bottom) {
            printf("exiting from depth\n");
            exit(5);
        }
        return 0;
    }
    return depth + depth_sum(depth - 1, exit_at_bottom);
}

static int cmp_asc(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_desc_low_byte(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a & 0xff, y = *(const unsigned *)b & 0xff;
    if (x != y) return (x < y) - (x > y);
    return cmp_asc(a, b);
}

static unsigned op_add(unsigned a, unsigned b) { return a + b; }
static unsigned op_sub(unsigned a, unsigned b) { return a - b; }
static unsigned op_mul(unsigned a, unsigned b) { return a * b; }
static unsigned op_xor(unsigned a, unsigned b) { return a ^ b; }
static unsigned op_rotl(unsigned a, unsigned b) {
    b &= 31;
    return b ? (a << b) | (a >> (32 - b)) : a;
}

typedef unsigned (*binop)(unsigned, unsigned);
static binop const ops[] = {op_add, op_sub, op_mul, op_xor, op_rotl};

int main(int argc, char **argv) {
    long seed = argc > 1 ? strtol(argv[1], NULL, 10) : 1;
    unsigned useed = (unsigned)seed;
    rng_state = useed * 2654435761u + 1u;
    if (rng_state == 0) rng_state = 1;

    unsigned ack = ackermann(2 + useed % 2, useed % 5);
    unsigned fb = fib(10 + useed % 10);
    printf("seed=%ld ack=%u fib=%u\n", seed, ack, fb);

    size_t n = 100 + useed % 200;
    int *a = malloc(n * sizeof *a);
    if (!a) {
        fprintf(stderr, "malloc failed\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++) a[i] = (int)(rng() % 20001u) - 10000;

    qsort(a, n, sizeof *a, cmp_asc);
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && a[i - 1] > a[i]) {
            printf("not sorted at %zu\n", i);
            return 2;
        }
        sum = sum * 31u + (unsigned)a[i];
    }
    printf("n=%zu min=%d median=%d max=%d\n", n, a[0], a[n / 2], a[n - 1]);

    qsort(a, n, sizeof *a, cmp_desc_low_byte);
    printf("by low byte: %d %d %d\n", a[0], a[1], a[n - 1]);

    unsigned acc = useed;
    for (size_t i = 0; i < n; i++) acc = ops[(unsigned)a[i] % 5u](acc, (unsigned)a[i]);
    printf("checksum=%08x ops=%08x\n", sum, acc);
    free(a);

    unsigned d = depth_sum(50 + useed % 50, useed % 7 == 5);
    printf("depth_sum=%u\n", d);
    return useed % 7 == 3 ? 3 : 0;
}
