/* mandelbrot: escape-time iteration counts of the Mandelbrot set over a
 * per-seed viewport (a zoom towards one of a few points on the boundary),
 * in double precision, kept in a heap array; smooth colouring through log
 * and log2; a float-precision pass over the same grid for comparison; and
 * the area estimate of the set.
 * Usage: mandelbrot SEED [MAXITER]
 * Prints the viewport (%.9g), an iteration histogram, checksums, the mean
 * smooth value (%.6f) and a small ASCII rendering. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define GW 48
#define GH 32

int main(int argc, char **argv) {
    unsigned seed = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 0;
    int maxiter = argc > 2 ? atoi(argv[2]) : 48 + (int)(seed % 5) * 8;
    static const double targets[][2] = {{-0.743643887, 0.131825904}, {-0.1011, 0.9563}, {-1.25066, 0.02012},
                                        {0.2549, 0.0005},           {-0.75, 0.1},       {-1.7687, 0.0017}};
    const double *t = targets[seed % 6];
    double scale = 3.0 / pow(1.6, (double)(seed / 6 % 12));
    double x0 = t[0] - scale / 2, y0 = t[1] - scale * GH / GW / 2;
    double step = scale / GW;
    printf("view x0=%.9g y0=%.9g step=%.9g maxiter=%d\n", x0, y0, step, maxiter);

    int *iters = malloc(sizeof(int) * GW * GH);
    double *smooth = malloc(sizeof(double) * GW * GH);
    if (!iters || !smooth) return 1;
    unsigned hist[8] = {0};
    uint32_t sum = 0;
    long inside = 0, disagree = 0;
    double ssum = 0;
    for (int py = 0; py < GH; py++)
        for (int px = 0; px < GW; px++) {
            double cr = x0 + px * step, ci = y0 + py * step;
            double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
            int n = 0;
            while (n < maxiter && zr2 + zi2 <= 256.0) {
                zi = 2 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                n++;
            }
            double sm = n;
            if (n < maxiter) sm = n + 1 - log2(log(sqrt(zr2 + zi2)));
            else inside++;
            iters[py * GW + px] = n;
            smooth[py * GW + px] = sm;
            ssum += sm;
            hist[n * 8 / (maxiter + 1)]++;
            sum = sum * 33 + (uint32_t)n;

            float fr = 0, fi = 0, fcr = (float)cr, fci = (float)ci;
            int m = 0;
            while (m < maxiter && fr * fr + fi * fi <= 256.0f) {
                float nr = fr * fr - fi * fi + fcr;
                fi = 2 * fr * fi + fci;
                fr = nr;
                m++;
            }
            if (m != n) disagree++;
        }
    printf("hist:");
    for (int i = 0; i < 8; i++) printf(" %u", hist[i]);
    printf("\nchecksum=%08x inside=%ld float_disagree=%ld\n", sum, inside, disagree);
    printf("mean smooth=%.6f area~%.9g\n", ssum / (GW * GH), (double)inside * step * step);
    static const char shades[] = " .:-=+*#%@";
    for (int py = 0; py < GH; py += 4) {
        char line[GW / 2 + 1];
        for (int px = 0; px < GW; px += 2) {
            int n = iters[py * GW + px];
            line[px / 2] = n >= maxiter ? '@' : shades[n * 9 / maxiter];
        }
        line[GW / 2] = 0;
        printf("|%s|\n", line);
    }
    free(smooth);
    free(iters);
    return 0;
}
