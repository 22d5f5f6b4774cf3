/* sampler.c — Metropolis and Langevin (importance-sampling) one-particle moves. */
#include <math.h>
#include <string.h>
#include "nqs/sampler.h"

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

/* Langevin / Fokker-Planck importance sampling with D = 1/2, drift F = 2 grad ln|Psi|:
 *   y = x + dt g(x) + sqrt(dt) xi,   g = grad_p ln|Psi|
 *   G(y|x) ∝ exp(-|y - x - dt g(x)|^2 / (2 dt))
 *   A = min(1, |Psi(y)/Psi(x)|^2 G(x|y) / G(y|x))
 * The reverse proposal uses the drift at the proposed configuration, g(y),
 * which propose() returns; only particle p's coordinates change, so only its
 * drift enters the ratio. */
static long langevin_sweep(const nqs_wavefunction *wf, nqs_walker *w, double dt) {
  const int n = wf->sys.n, d = wf->sys.dim;
  const double sdt = sqrt(dt);
  double xp[NQS_MAX_DIM], gold[NQS_MAX_DIM], gnew[NQS_MAX_DIM];
  long acc = 0;
  for (int p = 0; p < n; p++) {
    const double *x = w->x + p * d;
    nqs_wf_grad_p(wf, w, p, gold);
    for (int k = 0; k < d; k++) xp[k] = x[k] + dt * gold[k] + sdt * nqs_rng_normal(&w->rng);
    double lr = nqs_wf_propose(wf, w, p, xp, gnew);
    double fwd = 0, rev = 0; /* |y - x - dt g(x)|^2, |x - y - dt g(y)|^2 */
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

const nqs_sampler_type nqs_sampler_metropolis = {
    .name = "metropolis",
    .help = "uniform one-particle moves of width `step`",
    .default_step = 1.0,
    .default_target = 0.5,
    .sweep = metropolis_sweep,
};

const nqs_sampler_type nqs_sampler_langevin = {
    .name = "langevin",
    .help = "Metropolis-Hastings importance sampling with Langevin drift, time step `step`",
    .default_step = 0.1,
    .default_target = 0.9,
    .sweep = langevin_sweep,
};

const nqs_sampler_type *const nqs_sampler_types[] = {&nqs_sampler_metropolis, &nqs_sampler_langevin, NULL};

const nqs_sampler_type *nqs_sampler_find(const char *name) {
  for (int i = 0; nqs_sampler_types[i]; i++)
    if (strcmp(nqs_sampler_types[i]->name, name) == 0) return nqs_sampler_types[i];
  return NULL;
}
