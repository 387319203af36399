/* Each VM's work, output and ending follow from its index (argv[1]): VMs stop at different
   times, some exit with a code of their own and some trap. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int vm = argc > 1 ? atoi(argv[1]) : 0;
    long rounds = 1000L * (1 + (vm * 7919L) % 13);
    unsigned h = 2166136261u;
    for (long i = 0; i < rounds; i++)
        h = (h ^ (unsigned)i) * 16777619u;
    printf("vm %d: %ld rounds, hash %08x\n", vm, rounds, h);
    if (vm % 5 == 3)
        __builtin_trap();
    return vm % 5 == 4 ? vm % 100 : 0;
}
