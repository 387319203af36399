/* mandelbrot: escape-time iteration counts of the Mandelbrot set over a
 * per-seed viewport (a zoom towards one of a few points on the boundary) on
 * a 112x72 grid, in double precision, with the main cardioid and the
 * period-2 bulb recognised without iterating; a float-precision pass over
 * the same grid for comparison; smooth values through log and log2; then a
 * colouring pass (histogram-equalised palette, binary decomposition by the
 * sign of the final z) into an RGB image. Everything per pixel lives in
 * malloc'd arrays (iteration counts of both passes, smooth value, final z of
 * both passes, colour: 43 bytes a pixel, 339 KiB).
 * Usage: mandelbrot SEED [MAXITER]
 * Prints the viewport (%.9g), a line per band of 8 rows, an iteration
 * histogram, checksums, the mean smooth value (%.6f), the area estimate, a
 * line per colour band of 24 rows and a small ASCII rendering. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define GW 112
#define GH 72
#define BAND 8   /* rows a progress line covers (GH is a multiple) */
#define CBAND 24 /* rows a colour line covers (GH is a multiple) */

static int in_cardioid_or_bulb(double cr, double ci) {
    double q = (cr - 0.25) * (cr - 0.25) + ci * ci;
    return q * (q + (cr - 0.25)) <= 0.25 * ci * ci || (cr + 1) * (cr + 1) + ci * ci <= 0.0625;
}

int main(int argc, char **argv) {
    unsigned seed = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 0;
    int maxiter = argc > 2 ? atoi(argv[2]) : 32 + (int)(seed % 5) * 8;
    static const double targets[][2] = {{-0.743643887, 0.131825904}, {-0.1011, 0.9563}, {-1.25066, 0.02012},
                                        {0.2549, 0.0005},           {-0.75, 0.1},       {-1.7687, 0.0017}};
    const double *t = targets[seed % 6];
    double scale = 3.0 / pow(1.6, (double)(seed / 6 % 12));
    double x0 = t[0] - scale / 2, y0 = t[1] - scale * GH / GW / 2;
    double step = scale / GW;
    printf("view x0=%.9g y0=%.9g step=%.9g maxiter=%d grid=%dx%d\n", x0, y0, step, maxiter, GW, GH);

    int *iters = malloc(sizeof(int) * GW * GH), *fiters = malloc(sizeof(int) * GW * GH);
    double *smooth = malloc(sizeof(double) * GW * GH), *zfinal = malloc(sizeof(double) * 2 * GW * GH);
    float *fzfinal = malloc(sizeof(float) * 2 * GW * GH);
    uint8_t *rgb = malloc(3 * GW * GH);
    unsigned *cdf = calloc((size_t)maxiter + 2, sizeof(unsigned));
    if (!iters || !fiters || !smooth || !zfinal || !fzfinal || !rgb || !cdf) return 1;
    unsigned hist[8] = {0};
    uint32_t sum = 0;
    long inside = 0, disagree = 0, shortcut = 0;
    double ssum = 0, zdiff = 0;
    for (int py = 0; py < GH; py++) {
        for (int px = 0; px < GW; px++) {
            int at = py * GW + px;
            double cr = x0 + px * step, ci = y0 + py * step;
            double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
            float fr = 0, fi = 0;
            int n = maxiter, m = maxiter;
            if (in_cardioid_or_bulb(cr, ci)) {
                shortcut++;
            } else {
                n = 0;
                while (n < maxiter && zr2 + zi2 <= 256.0) {
                    zi = 2 * zr * zi + ci;
                    zr = zr2 - zi2 + cr;
                    zr2 = zr * zr;
                    zi2 = zi * zi;
                    n++;
                }
                float fcr = (float)cr, fci = (float)ci;
                m = 0;
                while (m < maxiter && fr * fr + fi * fi <= 256.0f) {
                    float nr = fr * fr - fi * fi + fcr;
                    fi = 2 * fr * fi + fci;
                    fr = nr;
                    m++;
                }
            }
            double sm = n;
            if (n < maxiter) sm = n + 1 - log2(0.5 * log(zr2 + zi2));
            else inside++;
            iters[at] = n;
            fiters[at] = m;
            smooth[at] = sm;
            zfinal[2 * at] = zr;
            zfinal[2 * at + 1] = zi;
            fzfinal[2 * at] = fr;
            fzfinal[2 * at + 1] = fi;
            cdf[n]++;
            ssum += sm;
            hist[n * 8 / (maxiter + 1)]++;
            sum = sum * 33 + (uint32_t)n;
        }
        if ((py + 1) % BAND == 0) {
            long band_in = 0, band_iters = 0;
            for (int at = (py + 1 - BAND) * GW; at < (py + 1) * GW; at++) {
                band_in += iters[at] == maxiter;
                band_iters += iters[at];
                if (iters[at] != fiters[at]) disagree++;
                else if (iters[at] < maxiter && iters[at] > 1) {
                    /* the same count: how far apart the last points are */
                    double d = fabs(zfinal[2 * at] - fzfinal[2 * at]) + fabs(zfinal[2 * at + 1] - fzfinal[2 * at + 1]);
                    if (d > zdiff) zdiff = d;
                }
            }
            printf("rows %2d-%2d: inside=%ld iterations=%ld\n", py + 1 - BAND, py, band_in, band_iters);
        }
    }
    printf("hist:");
    for (int i = 0; i < 8; i++) printf(" %u", hist[i]);
    printf("\nchecksum=%08x inside=%ld shortcut=%ld float_disagree=%ld float_zdiff=%.6g\n", sum, inside, shortcut, disagree,
           zdiff);
    printf("mean smooth=%.6f area~%.9g\n", ssum / (GW * GH), (double)inside * step * step);

    /* Colouring: escaped pixels by the rank of their count (the cumulative
     * histogram) through a palette, darker where the final zi < 0 (binary
     * decomposition), brighter by the fraction of the smooth value; the set
     * itself black. */
    uint8_t palette[256][3];
    for (int i = 0; i < 256; i++) {
        palette[i][0] = (uint8_t)lrint(127.5 + 127.5 * sin(6.2831853 * i / 256));
        palette[i][1] = (uint8_t)i;
        palette[i][2] = (uint8_t)(255 - i);
    }
    unsigned escaped = 0;
    for (int i = 0; i < maxiter; i++) {
        unsigned c = cdf[i];
        cdf[i] = escaped;
        escaped += c;
    }
    for (int band = 0; band < GH; band += CBAND) {
        uint32_t h = 2166136261u;
        for (int at = band * GW; at < (band + CBAND) * GW; at++) {
            uint8_t *p = &rgb[3 * at];
            if (iters[at] >= maxiter) {
                p[0] = p[1] = p[2] = 0;
            } else {
                const uint8_t *c = palette[escaped ? 255u * cdf[iters[at]] / escaped : 0];
                int frac = (int)(256 * (smooth[at] - floor(smooth[at]))); /* 0..255 */
                int shade = zfinal[2 * at + 1] < 0 ? 180 : 256;
                p[0] = (uint8_t)(c[0] * shade >> 8);
                p[1] = (uint8_t)(c[1] * shade >> 8);
                p[2] = (uint8_t)(c[2] * (64 + frac * 3 / 4) >> 8);
            }
            h = ((h ^ p[0]) * 16777619u ^ p[1]) * 16777619u;
            h = (h ^ p[2]) * 16777619u;
        }
        printf("colour rows %2d-%2d: fnv=%08x\n", band, band + CBAND - 1, h);
    }

    static const char shades[] = " .:-=+*#%@";
    for (int py = 0; py < GH; py += 8) {
        char line[GW / 4 + 1];
        for (int px = 0; px < GW; px += 4) {
            int n = iters[py * GW + px];
            line[px / 4] = n >= maxiter ? '@' : shades[n * 9 / maxiter];
        }
        line[GW / 4] = 0;
        printf("|%s|\n", line);
    }
    free(cdf);
    free(rgb);
    free(fzfinal);
    free(zfinal);
    free(smooth);
    free(fiters);
    free(iters);
    return 0;
}
