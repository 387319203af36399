/* nbody: the n-body simulation of the Computer Language Benchmarks Game
 * (the Sun, Jupiter, Saturn, Uranus and Neptune, symplectic Euler steps of
 * 0.01 years, double precision), with the planets' starting velocities
 * perturbed per seed, and a float (single-precision) copy of the system
 * stepped beside it. The whole history is kept on the heap (per step every
 * body's position and velocity, double and float, and the squared distance
 * of every pair: 440 bytes a step, 300-460 KiB) and analysed afterwards:
 * energy drift, closest approaches, Jupiter's extent and path, float against
 * double, a line per 100 steps.
 * Usage: nbody SEED [STEPS]
 * Prints the energy before and after (%.9f), the energy and Jupiter every
 * 100 steps, the final positions (%.6f), the history's statistics and the
 * float system's drift (%.9g). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define PI 3.141592653589793
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NB 5
#define PAIRS (NB * (NB - 1) / 2)
#define WINDOW 100 /* steps a progress line covers */

typedef struct {
    double x, y, z, vx, vy, vz, mass;
} body;

typedef struct {
    float x, y, z, vx, vy, vz, mass;
} bodyf;

/* One step of the history: the state before the step (position and
 * velocity of every body, double and float) and the squared distances of
 * the pairs, from advance. */
typedef struct {
    double d[NB][6];
    double d2[PAIRS];
    float f[NB][6];
} snapshot;

static body bodies[NB] = {
    {0, 0, 0, 0, 0, 0, SOLAR_MASS},
    {4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01, 1.66007664274403694e-03 * DAYS_PER_YEAR,
     7.69901118419740425e-03 * DAYS_PER_YEAR, -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS},
    {8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01, -2.76742510726862411e-03 * DAYS_PER_YEAR,
     4.99852801234917238e-03 * DAYS_PER_YEAR, 2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS},
    {1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01, 2.96460137564761618e-03 * DAYS_PER_YEAR,
     2.37847173959480950e-03 * DAYS_PER_YEAR, -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS},
    {1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01, 2.68067772490389322e-03 * DAYS_PER_YEAR,
     1.62824170038242295e-03 * DAYS_PER_YEAR, -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS},
};

static void offset_momentum(body *b) {
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NB; i++) {
        px += b[i].vx * b[i].mass;
        py += b[i].vy * b[i].mass;
        pz += b[i].vz * b[i].mass;
    }
    b[0].vx = -px / SOLAR_MASS;
    b[0].vy = -py / SOLAR_MASS;
    b[0].vz = -pz / SOLAR_MASS;
}

static double energy(const body *b) {
    double e = 0;
    for (int i = 0; i < NB; i++) {
        e += 0.5 * b[i].mass * (b[i].vx * b[i].vx + b[i].vy * b[i].vy + b[i].vz * b[i].vz);
        for (int j = i + 1; j < NB; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            e -= b[i].mass * b[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

/* One step; d2out gets the squared distance of each pair (i < j). */
static void advance(body *b, double dt, double *d2out) {
    for (int i = 0; i < NB; i++)
        for (int j = i + 1; j < NB; j++) {
            double dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            double d2 = dx * dx + dy * dy + dz * dz;
            *d2out++ = d2;
            double mag = dt / (d2 * sqrt(d2));
            b[i].vx -= dx * b[j].mass * mag;
            b[i].vy -= dy * b[j].mass * mag;
            b[i].vz -= dz * b[j].mass * mag;
            b[j].vx += dx * b[i].mass * mag;
            b[j].vy += dy * b[i].mass * mag;
            b[j].vz += dz * b[i].mass * mag;
        }
    for (int i = 0; i < NB; i++) {
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

static void advancef(bodyf *b, float dt) {
    for (int i = 0; i < NB; i++)
        for (int j = i + 1; j < NB; j++) {
            float dx = b[i].x - b[j].x, dy = b[i].y - b[j].y, dz = b[i].z - b[j].z;
            float d2 = dx * dx + dy * dy + dz * dz;
            float mag = dt / (d2 * sqrtf(d2));
            b[i].vx -= dx * b[j].mass * mag;
            b[i].vy -= dy * b[j].mass * mag;
            b[i].vz -= dz * b[j].mass * mag;
            b[j].vx += dx * b[i].mass * mag;
            b[j].vy += dy * b[i].mass * mag;
            b[j].vz += dz * b[i].mass * mag;
        }
    for (int i = 0; i < NB; i++) {
        b[i].x += dt * b[i].vx;
        b[i].y += dt * b[i].vy;
        b[i].z += dt * b[i].vz;
    }
}

int main(int argc, char **argv) {
    unsigned seed = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 0;
    int steps = argc > 2 ? atoi(argv[2]) : 700 + (int)(seed % 16) * 25;
    /* perturb the planets by up to +-0.5% per component */
    unsigned r = seed * 2654435761u + 1;
    for (int i = 1; i < NB; i++) {
        double *v = &bodies[i].vx;
        for (int k = 0; k < 3; k++) {
            r = r * 1103515245u + 12345u;
            v[k] *= 1.0 + ((double)(r >> 8 & 0xffff) / 65535.0 - 0.5) * 0.01;
        }
    }
    offset_momentum(bodies);
    bodyf fb[NB];
    for (int i = 0; i < NB; i++)
        fb[i] = (bodyf){(float)bodies[i].x, (float)bodies[i].y, (float)bodies[i].z, (float)bodies[i].vx,
                        (float)bodies[i].vy, (float)bodies[i].vz, (float)bodies[i].mass};

    snapshot *hist = malloc(sizeof(snapshot) * (size_t)steps);
    if (!hist) return 1;
    printf("steps=%d history=%zu KiB\nenergy before %.9f\n", steps, sizeof(snapshot) * (size_t)steps / 1024,
           energy(bodies));
    for (int s = 0; s < steps; s++) {
        snapshot *h = &hist[s];
        for (int i = 0; i < NB; i++) {
            const double *b = &bodies[i].x;
            const float *f = &fb[i].x;
            for (int k = 0; k < 6; k++) {
                h->d[i][k] = b[k];
                h->f[i][k] = f[k];
            }
        }
        advance(bodies, 0.01, h->d2);
        advancef(fb, 0.01f);
        if ((s + 1) % WINDOW == 0)
            printf("step %4d: energy %.9f jupiter %.6f %.6f\n", s + 1, energy(bodies), bodies[1].x, bodies[1].y);
    }
    printf("energy after  %.9f\n", energy(bodies));
    for (int i = 0; i < NB; i++)
        printf("body %d: %.6f %.6f %.6f v %.6f %.6f %.6f\n", i, bodies[i].x, bodies[i].y, bodies[i].z, bodies[i].vx,
               bodies[i].vy, bodies[i].vz);

    /* The history read back: the energy every 10th step from the stored
     * velocities and distances, the closest approach of every pair,
     * Jupiter's box and path, how far the float system strays from the
     * double one; a line per WINDOW steps. */
    double e0 = 0, emax = 0, closest[PAIRS], lo[3] = {1e9, 1e9, 1e9}, hi[3] = {-1e9, -1e9, -1e9}, path = 0, fdev = 0;
    double wdrift = 0, wclose = 1e300, wdev = 0; /* this window's */
    int emax_at = 0, fdev_at = 0;
    for (int p = 0; p < PAIRS; p++) closest[p] = 1e300;
    for (int s = 0; s < steps; s++) {
        const snapshot *h = &hist[s];
        if (s % 10 == 0) {
            double e = 0;
            for (int i = 0, p = 0; i < NB; i++) {
                e += 0.5 * bodies[i].mass * (h->d[i][3] * h->d[i][3] + h->d[i][4] * h->d[i][4] + h->d[i][5] * h->d[i][5]);
                for (int j = i + 1; j < NB; j++, p++) e -= bodies[i].mass * bodies[j].mass / sqrt(h->d2[p]);
            }
            if (s == 0) e0 = e;
            if (fabs(e - e0) > wdrift) wdrift = fabs(e - e0);
            if (fabs(e - e0) > emax) {
                emax = fabs(e - e0);
                emax_at = s;
            }
        }
        for (int p = 0; p < PAIRS; p++)
            if (h->d2[p] < closest[p]) closest[p] = h->d2[p];
        if (h->d2[NB - 1] < wclose) wclose = h->d2[NB - 1]; /* pair 1-2: Jupiter and Saturn */
        for (int k = 0; k < 3; k++) {
            lo[k] = fmin(lo[k], h->d[1][k]);
            hi[k] = fmax(hi[k], h->d[1][k]);
        }
        if (s) {
            double dx = h->d[1][0] - h[-1].d[1][0], dy = h->d[1][1] - h[-1].d[1][1], dz = h->d[1][2] - h[-1].d[1][2];
            path += sqrt(dx * dx + dy * dy + dz * dz);
        }
        double dev = 0;
        for (int i = 0; i < NB; i++)
            for (int k = 0; k < 3; k++) dev += fabs(h->f[i][k] - h->d[i][k]);
        if (dev > wdev) wdev = dev;
        if (dev > fdev) {
            fdev = dev;
            fdev_at = s;
        }
        if ((s + 1) % WINDOW == 0 || s == steps - 1) {
            printf("steps %4d-%4d: drift %.6g jupiter-saturn %.6f float %.6g\n", s / WINDOW * WINDOW, s, wdrift,
                   sqrt(wclose), wdev);
            wdrift = wdev = 0;
            wclose = 1e300;
        }
    }
    printf("energy drift max %.9g at step %d\nclosest:", emax, emax_at);
    for (int i = 0, p = 0; i < NB; i++)
        for (int j = i + 1; j < NB; j++, p++) printf(" %d-%d %.6f", i, j, sqrt(closest[p]));
    printf("\njupiter x [%.6f, %.6f] y [%.6f, %.6f] z [%.6f, %.6f] path %.9g\n", lo[0], hi[0], lo[1], hi[1], lo[2], hi[2],
           path);
    double drift = 0;
    for (int i = 0; i < NB; i++)
        drift += fabs(fb[i].x - bodies[i].x) + fabs(fb[i].y - bodies[i].y) + fabs(fb[i].z - bodies[i].z);
    printf("float drift %.9g (max %.9g at step %d) jupiter.x(float) %.9g\n", drift, fdev, fdev_at, (double)fb[1].x);
    free(hist);
    return 0;
}
