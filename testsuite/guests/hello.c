/* hello: greets argv[1] and prints a few formatted numbers derived from it.
 * Usage: hello NAME   (NAME may be a number, e.g. the VM index)
 * stdout: greeting, ints, a %.3f float, a hex value; stderr: one line. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : "world";
    long n = strtol(name, NULL, 10);
    unsigned h = (unsigned)n * 2654435761u;

    printf("Hello, %s!\n", name);
    printf("argc=%d n=%ld square=%ld neg=%d\n", argc, n, n * n, -(int)(n % 1000) - 1);
    printf("ratio=%.3f\n", (double)(n + 1) / 7.0);
    printf("hex=0x%08x\n", h);
    fprintf(stderr, "hello: stderr line for %s\n", name);
    return 0;
}
