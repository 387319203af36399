/* echo_stdin: reads stdin line by line with fgets and prints the line,
 * word and byte counts and an FNV-1a hash of the content.
 * Usage: echo_stdin [LABEL] < input
 * A final line without a newline still counts as a line. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    char buf[128];
    unsigned long lines = 0, words = 0, bytes = 0;
    unsigned hash = 2166136261u;
    int in_word = 0, at_line_start = 1;
    char first[101] = "";

    while (fgets(buf, sizeof buf, stdin)) {
        size_t len = strlen(buf);
        bytes += len;
        if (at_line_start && lines++ == 0) {
            size_t n = strcspn(buf, "\n");
            if (n > 100) n = 100;
            memcpy(first, buf, n);
            first[n] = '\0';
        }
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)buf[i];
            hash = (hash ^ c) * 16777619u;
            if (isspace(c)) {
                in_word = 0;
            } else if (!in_word) {
                in_word = 1;
                words++;
            }
        }
        at_line_start = len > 0 && buf[len - 1] == '\n';
    }
    if (argc > 1) printf("label=%s\n", argv[1]);
    printf("first=%s\n", first);
    printf("lines=%lu words=%lu bytes=%lu hash=%08x\n", lines, words, bytes, hash);
    return 0;
}
