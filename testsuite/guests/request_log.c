/* request_log: a WASI command for the serving tests. Reads stdin, then prints its arguments,
 * the input's length, line count and FNV-1a hash, and two values that show whether the VM
 * started from its initial memory: a static counter (always 1 in a fresh instance), and
 * whether a static 64 KiB array was still all zeros, and a sum over a 256 KiB malloc'd block
 * (memory the program grows into), both taken before this run writes its mark into them. Input "trap" traps (unreachable), "exit N" exits with code N after printing, "spin"
 * prints a line and loops forever (the server's request timeout must end it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int runs = 0;
static unsigned char scratch[65536];

static int all_zero(const volatile unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

static unsigned sum(const volatile unsigned char *p, size_t n) {
    unsigned s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 31u + p[i];
    return s;
}

int main(int argc, char **argv) {
    runs++;
    static char in[16384];
    size_t len = fread(in, 1, sizeof in - 1, stdin);
    in[len] = '\0';
    if (strncmp(in, "trap", 4) == 0)
        __builtin_trap();
    if (strncmp(in, "spin", 4) == 0) {
        /* Written before the endless loop: the next request its VM serves must not see it. */
        printf("spinning\n");
        fflush(stdout);
        for (volatile unsigned i = 0;; i++) {
        }
    }
    int fresh_static = all_zero(scratch, sizeof scratch);
    memset(scratch, 0xA5, sizeof scratch);
    size_t big = 256 * 1024;
    unsigned char *block = malloc(big);
    unsigned heap_sum = block ? sum(block, big) : 0;
    if (block)
        memset(block, 0x5A, big);
    unsigned hash = 2166136261u, lines = 0;
    for (size_t i = 0; i < len; i++) {
        hash = (hash ^ (unsigned char)in[i]) * 16777619u;
        lines += in[i] == '\n';
    }
    printf("args:");
    for (int i = 1; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\nlen=%zu lines=%u fnv=%08x runs=%d fresh_static=%d heap_sum=%08x\n", len, lines, hash, runs, fresh_static,
           heap_sum);
    fprintf(stderr, "served %zu bytes\n", len);
    if (strncmp(in, "exit ", 5) == 0)
        return atoi(in + 5);
    return 0;
}
