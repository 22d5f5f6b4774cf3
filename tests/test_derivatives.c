/* Central finite-difference checks of grad ln Psi, lap ln Psi and d ln Psi/d theta,
 * for each factor and for products, in 1D, 2D and 3D, on random configurations;
 * plus consistency of the one-particle move (ratio, drift at the new point).
 *
 * Error measure: |analytic - fd| / max(|fd|, 1), i.e. relative for values of
 * order one and larger, absolute for small ones (a near-zero derivative has no
 * meaningful relative error). Tolerance 1e-6 (the issue's).
 *
 * Stencils are fourth-order central differences with h = 1e-3:
 *   f'  ~ [-f(2h) + 8 f(h) - 8 f(-h) + f(-2h)] / (12 h)                 error h^4 f^(5) / 30
 *   f'' ~ [-f(2h) + 16 f(h) - 30 f(0) + 16 f(-h) - f(-2h)] / (12 h^2)  error h^4 f^(6) / 90
 * Second-order stencils are not enough: near a node of a determinant at
 * distance delta, f^(n) ~ (n-1)!/delta^n, and their error was measured to reach
 * 1e-4 on these configurations while falling exactly as h^2 (which rules out an
 * analytic error). Roundoff is ~ 16 eps |ln Psi| / (12 h^2) ~ 1e-9.
 * A stencil that crosses a node is meaningless (ln|Psi| -> -inf inside it).
 * Near a node at distance delta, |grad ln|Psi|| ~ 1/delta, so configurations
 * with any |grad component| > 1/(20 h) are redrawn: the stencil (+-2h) then
 * stays at least ten steps clear of every node. */
#include <math.h>
#include <string.h>
#include "check.h"
#include "helpers.h"

static double logpsi_at(const nqs_wavefunction *wf, nqs_walker *tmp, const double *x) {
  const int nx = wf->sys.n * wf->sys.dim;
  memcpy(tmp->x, x, sizeof(double) * nx);
  nqs_error err;
  if (nqs_wf_walker_init(wf, tmp, &err)) return NAN;
  return tmp->logpsi;
}

/* Stencil steps in the coordinates and (relative) in the parameters; the backflow cases use
 * smaller ones (see there). */
static double fd_h = 1e-3, fd_hp = 1e-3;

static void check_wf(const char *label, nqs_wavefunction *wf, uint64_t seed) {
  const int n = wf->sys.n, d = wf->sys.dim, nx = n * d, np = wf->nparams;
  nqs_walker w, tmp;
  nqs_error err;
  nqs_walker_alloc(wf, &w, &err);
  nqs_walker_alloc(wf, &tmp, &err);
  nqs_rng_seed(&w.rng, seed, 0);
  double *x = malloc(sizeof(double) * nx), *g = malloc(sizeof(double) * nx), *gnew = malloc(sizeof(double) * nx);
  double *o = malloc(sizeof(double) * (np + 1));
  double worst_g = 0, worst_l = 0, worst_p = 0, worst_gp = 0, worst_r = 0, worst_gn = 0;
  const double h = fd_h;
  for (int conf = 0; conf < 3; conf++) {
    double lap, gmax = INFINITY;
    for (int attempt = 0; attempt < 100 && gmax > 1.0 / (20 * h); attempt++) {
      for (int k = 0; k < nx; k++) x[k] = nqs_rng_normal(&w.rng) / sqrt(wf->sys.omega);
      memcpy(w.x, x, sizeof(double) * nx);
      if (nqs_wf_walker_init(wf, &w, &err)) continue;
      nqs_wf_grad_lap(wf, &w, g, &lap);
      gmax = 0;
      for (int k = 0; k < nx; k++) gmax = fmax(gmax, fabs(g[k]));
    }
    if (!(gmax <= 1.0 / (20 * h))) {
      CHECK(0, "%s: no configuration clear of the nodes found", label);
      continue;
    }
    /* gradient and Laplacian */
    const double l0 = logpsi_at(wf, &tmp, x);
    double fdlap = 0;
    for (int k = 0; k < nx; k++) {
      double xk = x[k], f[5]; /* f[j] = ln Psi at x_k + (j - 2) h */
      for (int j = 0; j < 5; j++) {
        x[k] = xk + (j - 2) * h;
        f[j] = (j == 2) ? l0 : logpsi_at(wf, &tmp, x);
      }
      x[k] = xk;
      worst_g = fmax(worst_g, rel(g[k], (-f[4] + 8 * f[3] - 8 * f[1] + f[0]) / (12 * h)));
      fdlap += (-f[4] + 16 * f[3] - 30 * f[2] + 16 * f[1] - f[0]) / (12 * h * h);
    }
    worst_l = fmax(worst_l, rel(lap, fdlap));
    /* grad_p agrees with the full gradient */
    for (int p = 0; p < n; p++) {
      double gp[NQS_MAX_DIM];
      nqs_wf_grad_p(wf, &w, p, gp);
      for (int k = 0; k < d; k++) worst_gp = fmax(worst_gp, rel(gp[k], g[p * d + k]));
    }
    /* parameter derivatives */
    nqs_wf_dparams(wf, &w, o);
    for (int k = 0; k < np; k++) {
      double t = wf->params[k], hp = fd_hp * fmax(1.0, fabs(t)), f[5];
      for (int j = 0; j < 5; j++) {
        wf->params[k] = t + (j - 2) * hp;
        f[j] = logpsi_at(wf, &tmp, x);
      }
      wf->params[k] = t;
      worst_p = fmax(worst_p, rel(o[k], (-f[4] + 8 * f[3] - 8 * f[1] + f[0]) / (12 * hp)));
    }
    /* one-particle move: ratio and drift at the proposed point */
    for (int p = 0; p < n; p++) {
      double xp[NQS_MAX_DIM], gn[NQS_MAX_DIM];
      for (int k = 0; k < d; k++) xp[k] = x[p * d + k] + 0.3 * nqs_rng_normal(&w.rng);
      double lr = nqs_wf_propose(wf, &w, p, xp, gn);
      double save[NQS_MAX_DIM];
      for (int k = 0; k < d; k++) {
        save[k] = x[p * d + k];
        x[p * d + k] = xp[k];
      }
      double l1 = logpsi_at(wf, &tmp, x);
      double lap1;
      nqs_wf_grad_lap(wf, &tmp, gnew, &lap1);
      for (int k = 0; k < d; k++) x[p * d + k] = save[k];
      if (!isfinite(l1)) { /* a move into a hard core: ratio 0, and no drift to compare */
        worst_r = fmax(worst_r, lr == -INFINITY ? 0 : 1);
        continue;
      }
      worst_r = fmax(worst_r, rel(lr, l1 - l0));
      for (int k = 0; k < d; k++) worst_gn = fmax(worst_gn, rel(gn[k], gnew[p * d + k]));
    }
  }
  CHECK(worst_g < 1e-6, "%-34s grad ln Psi vs FD          max err %.1e", label, worst_g);
  CHECK(worst_l < 1e-6, "%-34s lap ln Psi vs FD           max err %.1e", label, worst_l);
  CHECK(worst_p < 1e-6, "%-34s d ln Psi/d theta vs FD     max err %.1e (%d params)", label, worst_p, np);
  CHECK(worst_gp < 1e-12, "%-34s grad_p vs full gradient    max err %.1e", label, worst_gp);
  CHECK(worst_r < 1e-10, "%-34s move ratio vs fresh ln Psi max err %.1e", label, worst_r);
  CHECK(worst_gn < 1e-10, "%-34s drift at proposed point    max err %.1e", label, worst_gn);
  nqs_walker_free(&w);
  nqs_walker_free(&tmp);
  free(x);
  free(g);
  free(gnew);
  free(o);
}

int main(void) {
  nqs_factor_options fo = {.alpha = 0.9, .beta = 0.6, .pade_cusp = 1};
  /* RBM: init_std 0.3 makes the hidden units matter (0.01 would test little beyond the Gaussian). */
  nqs_factor_options rs = {.alpha = 0.9, .beta = 0.6, .pade_cusp = 1, .hidden = 5, .rbm_sigma = 0.8, .rbm_sqrt = 1, .init_std = 0.3, .seed = 3};
  nqs_factor_options rf = rs;
  rf.rbm_sqrt = 0;
  rf.rbm_sigma = 1.1;
  nqs_factor_options fc = {.alpha = 1.1, .beta = 0.4, .pade_cusp = 0, .pade_a_parallel = 0.3, .pade_a_antiparallel = 0.7};
  const nqs_statistics B = NQS_BOSONS, F = NQS_FERMIONS, D = NQS_DISTINGUISHABLE;
  const nqs_interaction C = NQS_INTERACTION_COULOMB, N0 = NQS_INTERACTION_NONE;
  struct {
    const char *label;
    int d, n;
    nqs_statistics st;
    nqs_interaction in;
    double omega, lambda;
    const char *factors;
    const nqs_factor_options *fo;
  } cases[] = {
      {"1D bosons N=3 gaussian", 1, 3, B, N0, 1.0, 1.0, "gaussian", &fo},
      {"2D bosons N=4 gaussian", 2, 4, B, N0, 0.5, 1.0, "gaussian", &fo},
      {"3D elliptic N=3 gaussian", 3, 3, D, N0, 1.0, 2.8, "gaussian", &fo},
      {"1D fermions N=4 slater", 1, 4, F, N0, 1.0, 1.0, "slater", &fo},
      {"2D fermions N=6 slater", 2, 6, F, N0, 1.0, 1.0, "slater", &fo},
      {"2D fermions N=12 slater", 2, 12, F, N0, 0.5, 1.0, "slater", &fo},
      {"3D fermions N=8 slater", 3, 8, F, N0, 1.0, 1.0, "slater", &fo},
      {"1D fermions N=4 pade (a set)", 1, 4, F, N0, 1.0, 1.0, "slater, pade", &fc},
      {"2D fermions N=6 slater*pade", 2, 6, F, C, 1.0, 1.0, "slater, pade", &fo},
      {"3D fermions N=8 slater*pade", 3, 8, F, C, 0.5, 1.0, "slater, pade", &fo},
      {"2D bosons N=4 gaussian*pade", 2, 4, B, C, 1.0, 1.0, "gaussian, pade", &fo},
      {"3D distinguishable N=3 g*pade", 3, 3, D, C, 1.0, 1.5, "pade, gaussian", &fo},
      {"1D distinguishable N=3 g*pade", 1, 3, D, N0, 1.0, 1.0, "gaussian, pade", &fc},
      {"1D bosons N=3 rbm sqrtF", 1, 3, B, N0, 1.0, 1.0, "rbm", &rs},
      {"1D bosons N=3 rbm F", 1, 3, B, N0, 1.0, 1.0, "rbm", &rf},
      {"2D fermions N=2 rbm sqrtF", 2, 2, F, C, 1.0, 1.0, "rbm", &rs},
      {"2D fermions N=2 rbm F * pade", 2, 2, F, C, 1.0, 1.0, "rbm, pade", &rf},
      {"3D bosons N=3 rbm F", 3, 3, B, N0, 0.5, 1.0, "rbm", &rf},
      {"3D distinguishable N=2 rbm sqrtF", 3, 2, D, C, 1.0, 1.0, "rbm, pade", &rs},
      {"2D fermions N=6 slater*rbm*pade", 2, 6, F, C, 1.0, 1.0, "slater, rbm, pade", &rs},
      {"3D fermions N=8 slater*rbm F*pade", 3, 8, F, C, 1.0, 1.0, "slater, rbm, pade", &rf},
  };
  /* FFNN: two hidden layers (6, 5), output std 0.5 so the network matters, every activation */
  static nqs_factor_options nn[5];
  const char *acts[] = {"tanh", "sigmoid", "softplus", "elu", "gelu"};
  for (int a = 0; a < 5; a++) {
    nn[a] = (nqs_factor_options){.alpha = 0.9, .beta = 0.6, .pade_cusp = 1, .hidden = 3, .rbm_sigma = 0.8,
                                 .rbm_sqrt = 1, .init_std = 0.5, .seed = 11 + a, .ffnn_hidden = {6, 5},
                                 .ffnn_nhidden = 2, .ffnn_activation = a};
    char l1[64], l2[64], l3[64];
    snprintf(l1, sizeof l1, "2D N=6 slater*ffnn(%s)*pade", acts[a]);
    snprintf(l2, sizeof l2, "1D bosons N=3 gauss*ffnn(%s)", acts[a]);
    snprintf(l3, sizeof l3, "3D fermions N=8 slater*ffnn(%s)", acts[a]);
    nqs_wavefunction *w1 = make_wf(2, 6, F, C, 1.0, 1.0, "slater, ffnn, pade", &nn[a]);
    nqs_wavefunction *w2 = make_wf(1, 3, B, N0, 1.0, 1.0, "gaussian, ffnn", &nn[a]);
    nqs_wavefunction *w3 = make_wf(3, 8, F, N0, 1.0, 1.0, "slater, ffnn", &nn[a]);
    check_wf(l1, w1, 500 + a);
    check_wf(l2, w2, 600 + a);
    check_wf(l3, w3, 700 + a);
    if (a == 0) { /* 78 pairs: more than one batch of pair networks (BATCH = 64 in factor_ffnn.c) */
      nqs_wavefunction *w4 = make_wf(2, 13, D, C, 1.0, 1.0, "gaussian, ffnn", &nn[a]);
      check_wf("2D dist. N=13 gauss*ffnn(tanh) pairs", w4, 750);
      nqs_wf_free(w4);
    }
    nqs_wf_free(w1);
    nqs_wf_free(w2);
    nqs_wf_free(w3);
    nqs_factor_options nc = nn[a];
    nc.ffnn_coords = 1;
    snprintf(l1, sizeof l1, "2D dist. N=3 gauss*ffnn coords(%s)", acts[a]);
    snprintf(l2, sizeof l2, "3D dist. N=2 rbm*ffnn coords(%s)", acts[a]);
    w1 = make_wf(2, 3, D, C, 1.0, 1.0, "gaussian, ffnn", &nc);
    w2 = make_wf(3, 2, D, N0, 1.0, 1.0, "rbm, ffnn", &nc);
    check_wf(l1, w1, 800 + a);
    check_wf(l2, w2, 900 + a);
    nqs_wf_free(w1);
    nqs_wf_free(w2);
  }
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    nqs_wavefunction *wf = make_wf(cases[i].d, cases[i].n, cases[i].st, cases[i].in, cases[i].omega, cases[i].lambda,
                                   cases[i].factors, cases[i].fo);
    check_wf(cases[i].label, wf, 1000 + i);
    nqs_wf_free(wf);
  }
  /* backflow: the network's output layer starts at zero (eta = 0); random parameters of
   * std 0.3 everywhere make eta, eta' and eta'' of order 0.1-1, so every term counts. Two
   * layers in 3D, one in 2D; N = 20 in 2D has 190 pairs (more than one batch of 64).
   * x~ has a kink where two opposite-spin particles meet (eta'(0) != 0), so higher derivatives
   * are larger than for a plain determinant: at h = 1e-3 the 1D case's FD error was 2.5e-6 and
   * fell to 1.6e-7 at h = 5e-4 (x 1/15.6: the h^4 truncation, not an analytic error), hence:
   * And the output bias of eta moves every x~ by a sum over all pairs: with the generalised
   * orbitals (2D N = 6) its O_k's FD error was 1.55e-4 at a step of 1e-3 and 9.6e-6 at 5e-4
   * (x 1/16.2, again h^4), so the parameter step is 2.5e-4 here. */
  fd_h = 5e-4;
  fd_hp = 2.5e-4;
  {
    static const struct {
      int d, n, nh, omega2, gen, ndet; /* gen: generalised orbitals g with one hidden layer of 5; ndet determinants */
      const char *factors;
    } bc[] = {{2, 2, 1, 2, 0, 1, "backflow"}, {2, 6, 1, 2, 0, 1, "backflow, pade"},
              {2, 6, 2, 1, 0, 1, "backflow, ffnn, pade"}, {2, 20, 1, 2, 0, 1, "backflow"},
              {3, 8, 2, 2, 0, 1, "backflow, pade"}, {1, 4, 1, 2, 0, 1, "backflow"},
              {2, 6, 1, 2, 0, 1, "backflow, rbm"}, {2, 6, 1, 2, 1, 1, "backflow, pade"},
              {3, 8, 1, 2, 1, 1, "backflow"}, {2, 12, 1, 1, 1, 1, "backflow, ffnn, pade"},
              {1, 4, 1, 2, 1, 1, "backflow"}, {2, 6, 1, 2, 1, 1, "backflow, rbm"},
              {2, 6, 1, 2, 1, 3, "backflow, pade"}, {3, 8, 1, 2, 1, 2, "backflow"},
              {2, 12, 1, 1, 1, 2, "backflow, ffnn, pade"}, {1, 4, 1, 2, 1, 2, "backflow"}};
    for (size_t c = 0; c < sizeof bc / sizeof bc[0]; c++) {
      nqs_factor_options bo = {.alpha = 0.9, .beta = 0.6, .pade_cusp = 1, .hidden = 3, .rbm_sigma = 0.8, .rbm_sqrt = 1,
                               .init_std = 0.3, .seed = 21 + c, .ffnn_hidden = {4}, .ffnn_nhidden = 1,
                               .bf_hidden = {5, 4}, .bf_nhidden = bc[c].nh, .bfo_hidden = {5},
                               .bfo_nhidden = bc[c].gen, .bf_ndet = bc[c].ndet};
      nqs_wavefunction *wf = make_wf(bc[c].d, bc[c].n, F, bc[c].d > 1 ? C : N0, 0.5 * bc[c].omega2, 1.0, bc[c].factors, &bo);
      nqs_rng rng;
      nqs_rng_seed(&rng, 77, c);
      for (int k = 0; k < wf->nparams; k++)
        if (strncmp(wf->param_names[k], "backflow.", 9) == 0 && strcmp(wf->param_names[k], "backflow.alpha") != 0)
          wf->params[k] = 0.3 * nqs_rng_normal(&rng);
      char label[64];
      snprintf(label, sizeof label, "%dD N=%d %s (eta %d layers%s, %d det)", bc[c].d, bc[c].n, bc[c].factors,
               bc[c].nh, bc[c].gen ? ", g" : "", bc[c].ndet);
      check_wf(label, wf, 4000 + c);
      nqs_wf_free(wf);
    }
  }
  fd_h = fd_hp = 1e-3;
  /* the hard-core Jastrow (1 - a/r) of hard-sphere bosons, with a core large enough to matter
   * (a = 0.3 against inter-particle distances of order 1) */
  for (int d = 1; d <= 3; d++) {
    nqs_system sys;
    nqs_error err;
    const double a[NQS_POT_PARAMS] = {0.3};
    nqs_factor_options fog = {.alpha = 0.9};
    nqs_wavefunction *wf = NULL;
    if (!nqs_system_init(&sys, d, 4, NQS_BOSONS, NQS_INTERACTION_NONE, 1.0, d == 3 ? 2.8284271247461903 : 1.0, &err) &&
        !nqs_system_set_potential(&sys, &nqs_potential_hard_sphere, a, &err))
      wf = nqs_wf_create(&sys, "gaussian, hardcore", &fog, &err);
    char label[64];
    snprintf(label, sizeof label, "%dD N=4 bosons gaussian*hardcore (a = 0.3)", d);
    if (!wf) CHECK(0, "%s: %s", label, err.msg);
    else check_wf(label, wf, 3000 + d);
    nqs_wf_free(wf);
  }
  return check_done();
}
