/* sampler.c — Metropolis and Langevin (importance-sampling) moves of one particle at a time, or
 * of all particles at once.
 *
 * A one-particle move costs what the wave function's propose/accept cost, O(n) to O(n^2) for a
 * Slater-Jastrow state; but a backflow state changes every row of its determinants when one
 * particle moves, so each one-particle move costs a full O(n^3) rebuild, and a sweep N of them.
 * An all-particle move rebuilds once, but all N(N - 1)/2 pair values change with it, and it needs
 * a step about 1/sqrt(N d) as long for the same acceptance. Measured per unit of statistical
 * error (make bench, docs/wavefunctions.md), one-particle Langevin is as good or better from
 * N = 12 on, so it stays the default; the all-particle moves are there to compare and for states
 * where they win (N = 6: langevin_all by a factor 1.8). */
#include <math.h>
#include <string.h>
#include "nqs/particles/sampler.h"

/* Metropolis: x_p' = x_p + step (u - 1/2) per axis, accept with min(1, |Psi'/Psi|^2). */
static long metropolis_sweep(const nqs_wavefunction *wf, nqs_walker *w, double step) {
  const int n = wf->sys.n, d = wf->sys.dim;
  double xp[NQS_MAX_DIM];
  long acc = 0;
  for (int p = 0; p < n; p++) {
    for (int k = 0; k < d; k++) xp[k] = w->x[p * d + k] + step * (nqs_rng_uniform(&w->rng) - 0.5);
    double lr = nqs_wf_propose(wf, w, p, xp, NULL);
    if (log(nqs_rng_uniform(&w->rng)) < 2.0 * lr) {
      nqs_wf_accept(wf, w, p, xp, lr);
      acc++;
    }
  }
  w->accepted += acc;
  w->proposed += n;
  return acc;
}

/* Drift limiting (Umrigar, Nightingale & Runge, J. Chem. Phys. 99, 2865 (1993),
 * eq. 34 with a = 1): near a node of Psi, g = grad ln|Psi| ~ 1/delta diverges and an
 * unlimited drift throws the particle far away, where the reverse move is almost
 * never accepted: the walker freezes beside the node with an extreme E_L (seen
 * here: 2D N = 6, one walker in 32 frozen for a whole run, variance 270 instead
 * of 0.17). The limited drift
 *   gbar = g (-1 + sqrt(1 + 2 |g|^2 dt)) / (|g|^2 dt)
 * equals g for |g|^2 dt << 1 and has |gbar| dt <= sqrt(2 dt) otherwise. It is a
 * deterministic function of the configuration, so using it in both the forward
 * and the reverse Green's function keeps the move exact. */
static void limit_drift(double *g, int d, double dt) {
  double g2 = 0;
  for (int k = 0; k < d; k++) g2 += g[k] * g[k];
  const double q = g2 * dt;
  if (q < 1e-12) return;
  const double f = (-1.0 + sqrt(1.0 + 2.0 * q)) / q;
  for (int k = 0; k < d; k++) g[k] *= f;
}

/* Langevin / Fokker-Planck importance sampling with D = 1/2, drift F = 2 grad ln|Psi|:
 *   y = x + dt gbar(x) + sqrt(dt) xi,   gbar = limited grad_p ln|Psi|
 *   G(y|x) ∝ exp(-|y - x - dt gbar(x)|^2 / (2 dt))
 *   A = min(1, |Psi(y)/Psi(x)|^2 G(x|y) / G(y|x))
 * The reverse proposal uses the drift at the proposed configuration, gbar(y),
 * from the gradient propose() returns; only particle p's coordinates change, so
 * only its drift enters the ratio. */
static long langevin_sweep(const nqs_wavefunction *wf, nqs_walker *w, double dt) {
  const int n = wf->sys.n, d = wf->sys.dim;
  const double sdt = sqrt(dt);
  double xp[NQS_MAX_DIM], gold[NQS_MAX_DIM], gnew[NQS_MAX_DIM];
  long acc = 0;
  for (int p = 0; p < n; p++) {
    const double *x = w->x + p * d;
    nqs_wf_grad_p(wf, w, p, gold);
    limit_drift(gold, d, dt);
    for (int k = 0; k < d; k++) xp[k] = x[k] + dt * gold[k] + sdt * nqs_rng_normal(&w->rng);
    double lr = nqs_wf_propose(wf, w, p, xp, gnew);
    limit_drift(gnew, d, dt);
    double fwd = 0, rev = 0; /* |y - x - dt gbar(x)|^2, |x - y - dt gbar(y)|^2 */
    for (int k = 0; k < d; k++) {
      double a = xp[k] - x[k] - dt * gold[k];
      double b = x[k] - xp[k] - dt * gnew[k];
      fwd += a * a;
      rev += b * b;
    }
    double log_a = 2.0 * lr + (fwd - rev) / (2.0 * dt);
    if (log(nqs_rng_uniform(&w->rng)) < log_a) {
      nqs_wf_accept(wf, w, p, xp, lr);
      acc++;
    }
  }
  w->accepted += acc;
  w->proposed += n;
  return acc;
}

/* All-particle Metropolis: x' = x + step xi (xi ~ N(0, 1) per coordinate; symmetric). */
static long metropolis_all_sweep(const nqs_wavefunction *wf, nqs_walker *w, double step) {
  const int nx = wf->sys.n * wf->sys.dim;
  for (int k = 0; k < nx; k++) w->x_new[k] = w->x[k] + step * nqs_rng_normal(&w->rng);
  const double lr = nqs_wf_propose_all(wf, w);
  const int acc = log(nqs_rng_uniform(&w->rng)) < 2.0 * lr;
  if (acc) nqs_wf_accept_all(w);
  w->accepted += acc;
  w->proposed += 1;
  return acc;
}

/* All-particle Langevin: every coordinate moves with the (per-particle limited) drift,
 *   y = x + dt gbar(x) + sqrt(dt) xi,
 *   A = min(1, |Psi(y)/Psi(x)|^2 exp(-(|x - y - dt gbar(y)|^2 - |y - x - dt gbar(x)|^2) / (2 dt)))
 * The gradients come from the full gradient-and-Laplacian pass (the Laplacian is not used). */
static long langevin_all_sweep(const nqs_wavefunction *wf, nqs_walker *w, double dt) {
  const int n = wf->sys.n, d = wf->sys.dim;
  const double sdt = sqrt(dt);
  double lap, *gx = w->grad, *gy = w->grad + n * d, fwd = 0, rev = 0;
  nqs_wf_grad_lap(wf, w, gx, &lap);
  for (int p = 0; p < n; p++) {
    limit_drift(gx + p * d, d, dt);
    for (int k = 0; k < d; k++) {
      const double xi = nqs_rng_normal(&w->rng);
      w->x_new[p * d + k] = w->x[p * d + k] + dt * gx[p * d + k] + sdt * xi;
      fwd += dt * xi * xi; /* |y - x - dt gbar(x)|^2 */
    }
  }
  const double lr = nqs_wf_propose_all(wf, w);
  int acc = 0;
  if (lr > -INFINITY) {
    const nqs_walker y = nqs_wf_proposed(w);
    nqs_wf_grad_lap(wf, &y, gy, &lap);
    for (int p = 0; p < n; p++) {
      limit_drift(gy + p * d, d, dt);
      for (int k = 0; k < d; k++) {
        const double b = w->x[p * d + k] - w->x_new[p * d + k] - dt * gy[p * d + k];
        rev += b * b;
      }
    }
    acc = log(nqs_rng_uniform(&w->rng)) < 2.0 * lr + (fwd - rev) / (2.0 * dt);
    if (acc) nqs_wf_accept_all(w);
  }
  w->accepted += acc;
  w->proposed += 1;
  return acc;
}

const nqs_sampler_type nqs_sampler_metropolis = {
    .name = "metropolis",
    .help = "uniform one-particle moves of width `step`",
    .default_step = 1.0,
    .default_target = 0.5,
    .sweep = metropolis_sweep,
    .adapts = 1,
};

const nqs_sampler_type nqs_sampler_langevin = {
    .name = "langevin",
    .help = "Metropolis-Hastings importance sampling with Langevin drift, time step `step`",
    .default_step = 0.1,
    .default_target = 0.9,
    .sweep = langevin_sweep,
    .adapts = 1,
};

const nqs_sampler_type nqs_sampler_gibbs = {
    .name = "gibbs",
    .help = "block Gibbs sampling of h | x and x | h; only for factors = rbm with rbm_psi = sqrtF",
    .default_step = 1.0,
    .default_target = 1.0,
    .sweep = nqs_rbm_gibbs_sweep,
    .check = nqs_rbm_gibbs_check,
    .adapts = 0,
};

const nqs_sampler_type nqs_sampler_metropolis_all = {
    .name = "metropolis_all",
    .help = "Gaussian moves of all particles at once, width `step` per coordinate (for backflow states)",
    .default_step = 0.1,
    .default_target = 0.5,
    .sweep = metropolis_all_sweep,
    .adapts = 1,
    .all_particles = 1,
};

const nqs_sampler_type nqs_sampler_langevin_all = {
    .name = "langevin_all",
    .help = "Langevin importance sampling of all particles at once, time step `step` (for backflow states)",
    .default_step = 0.01,
    .default_target = 0.6,
    .sweep = langevin_all_sweep,
    .adapts = 1,
    .all_particles = 1,
};

const nqs_sampler_type *const nqs_sampler_types[] = {&nqs_sampler_metropolis, &nqs_sampler_langevin, &nqs_sampler_gibbs,
                                                     &nqs_sampler_metropolis_all, &nqs_sampler_langevin_all, NULL};

const char *nqs_sampler_type_name(int i) { return nqs_sampler_types[i] ? nqs_sampler_types[i]->name : NULL; }

const nqs_sampler_type *nqs_sampler_find(const char *name) {
  for (int i = 0; nqs_sampler_types[i]; i++)
    if (strcmp(nqs_sampler_types[i]->name, name) == 0) return nqs_sampler_types[i];
  return NULL;
}
