/* Light nuclei: the spin-isospin algebra, the symmetry of the wave function and the exactness
 * of its local energy and parameter derivatives.
 *
 * 1. sum_{i<j} sigma_i.sigma_j = 2S(S+1) - 3A/2 on the s-shell states (+1 for the deuteron,
 *    -3 for 3H and 3He, -6 for 4He), and the same for tau (T = 0, 1/2, 1/2, 0), to 1e-13.
 * 2. sigma_i.sigma_j against the Pauli matrices applied one by one (x, y, z), on random vectors.
 * 3. Antisymmetry: for every pair (i, j), Psi(R with r_i, r_j exchanged, S with the spins and
 *    charges of i, j exchanged) = -Psi(R, S), for every basis state, with random networks.
 * 4. The kinetic local energy against a fourth-order finite-difference Laplacian of every
 *    amplitude (-(hbar^2/2m) sum_S Psi_S lap Psi_S / sum_S Psi_S^2), the two-body, Coulomb and
 *    three-body parts against direct sums over the amplitude vector with the Pauli-matrix
 *    sigma.sigma, every O_k against a central difference of ln|Psi|, and the force row
 *    sum_S (d Psi_S/d theta_k)(H Psi)_S / sum_S Psi_S^2 (the energy gradient's term, which is
 *    not O_k E_L for the spin correlator's parameters) against differences of the amplitudes
 *    times H Psi built from the finite-difference Laplacian and the Pauli-matrix potentials.
 * 5. The sampler (one-nucleon moves whose width scales with the configuration's size, with the
 *    Hastings ratio): for the deuteron with a random Jastrow, <E> and <r^2> of the Markov chain
 *    against a radial quadrature of the same Psi, within 4 error bars (the quadrature's own
 *    error is below 1e-6 MeV). */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "nqs/core/config.h"
#include "nqs/core/model.h"
#include "nqs/core/rng.h"
#include "nqs/core/vmc.h"
#include "nqs/nuclei/nucleus.h"

static nqs_model *make(int A, int Z, const char *cutoff, int coulomb, const char *spin, int context) {
  nqs_config c;
  nqs_error err;
  nqs_config_defaults(&c);
  char buf[96];
  const char *set[] = {"system.type=nucleus", buf, NULL, NULL, NULL, NULL, context ? "nucleus.context=yes" : "nucleus.context=no"};
  snprintf(buf, sizeof buf, "nucleus.nucleons=%d", A);
  char z[48], cu[48], co[48], sp[64];
  snprintf(z, sizeof z, "nucleus.protons=%d", Z);
  snprintf(cu, sizeof cu, "nucleus.cutoff=%s", cutoff);
  snprintf(co, sizeof co, "nucleus.coulomb=%s", coulomb ? "yes" : "no");
  snprintf(sp, sizeof sp, "nucleus.spin_layers=%s", spin);
  set[2] = z;
  set[3] = cu;
  set[4] = co;
  set[5] = sp;
  for (int k = 0; k < 7; k++)
    if (nqs_config_set(&c, set[k], &err)) {
      printf("config: %s\n", err.msg);
      return NULL;
    }
  nqs_model *m = nqs_model_create(&c, &err);
  if (!m) printf("model: %s\n", err.msg);
  return m;
}

/* random network weights (std 0.3) so that J and u are not zero */
static void randomise(nqs_model *m, uint64_t seed) {
  nqs_rng rng;
  nqs_rng_seed(&rng, seed, 0);
  for (int k = 2; k < m->nparams; k++) m->params[k] = 0.3 * nqs_rng_normal(&rng);
  m->params[0] = 0.15;
  m->params[1] = 0.4;
}

/* sigma_i . sigma_j by the Pauli matrices: for each of x, y, z act on spin bit i, then bit j */
static void pauli_dot(const nqs_spin_isospin *b, int i, int j, const double *in, double *out) {
  double complex v[NQS_NUC_MAXBASIS], t[NQS_NUC_MAXBASIS], u[NQS_NUC_MAXBASIS];
  const int A = b->A;
  for (int k = 0; k < b->n; k++) out[k] = 0;
  for (int a = 0; a < 3; a++) {
    for (int k = 0; k < b->n; k++) v[k] = in[k];
    for (int step = 0; step < 2; step++) {
      const int q = step ? j : i;
      for (int k = 0; k < b->n; k++) t[k] = 0;
      for (int k = 0; k < b->n; k++) {
        const int up = (k >> q) & 1; /* spin bit of nucleon q; charges (bits >= A) untouched */
        const int f = k ^ (1 << q);
        if (a == 0) t[f] += v[k];                            /* sigma_x |s> = |-s> */
        else if (a == 1) t[f] += (up ? I : -I) * v[k];      /* sigma_y |up> = i|down>, |down> = -i|up> */
        else t[k] += (up ? 1.0 : -1.0) * v[k];              /* sigma_z */
      }
      memcpy(u, t, sizeof(double complex) * b->n);
      memcpy(v, u, sizeof(double complex) * b->n);
    }
    for (int k = 0; k < b->n; k++) out[k] += creal(v[k]);
  }
  (void)A;
}

static double dotv(const double *a, const double *b, int n) {
  double s = 0;
  for (int k = 0; k < n; k++) s += a[k] * b[k];
  return s;
}

static void algebra(const char *label, int A, int Z, double S, double T) {
  nqs_spin_isospin b;
  nqs_error err;
  nqs_spin_isospin_init(&b, A, Z, &err);
  double phi[NQS_NUC_MAXBASIS], out[NQS_NUC_MAXBASIS], sum_s[NQS_NUC_MAXBASIS] = {0}, sum_t[NQS_NUC_MAXBASIS] = {0};
  nqs_sshell_state(&b, phi);
  for (int p = 0; p < b.npairs; p++) {
    nqs_sigma_dot(&b, p, 0, phi, out);
    for (int k = 0; k < b.n; k++) sum_s[k] += out[k];
    nqs_sigma_dot(&b, p, 1, phi, out);
    for (int k = 0; k < b.n; k++) sum_t[k] += out[k];
  }
  const double ls = 2 * S * (S + 1) - 1.5 * A, lt = 2 * T * (T + 1) - 1.5 * A;
  double es = 0, et = 0;
  for (int k = 0; k < b.n; k++) {
    es = fmax(es, fabs(sum_s[k] - ls * phi[k]));
    et = fmax(et, fabs(sum_t[k] - lt * phi[k]));
  }
  CHECK(es < 1e-13 && et < 1e-13 && fabs(dotv(phi, phi, b.n) - 1) < 1e-14,
        "%-4s (%d states): sum sigma.sigma Phi = %+.1f Phi (err %.1e), sum tau.tau Phi = %+.1f Phi (err %.1e)", label, b.n, ls, es,
        lt, et);
  /* sigma.sigma of every pair against the Pauli matrices on a random vector */
  nqs_rng rng;
  nqs_rng_seed(&rng, 3, A * 10 + Z);
  double v[NQS_NUC_MAXBASIS], ref[NQS_NUC_MAXBASIS], worst = 0;
  for (int k = 0; k < b.n; k++) v[k] = nqs_rng_normal(&rng);
  for (int p = 0; p < b.npairs; p++) {
    nqs_sigma_dot(&b, p, 0, v, out);
    pauli_dot(&b, b.pi[p], b.pj[p], v, ref);
    for (int k = 0; k < b.n; k++) worst = fmax(worst, fabs(out[k] - ref[k]));
  }
  CHECK(worst < 1e-13, "%-4s sigma_i.sigma_j = 2 P_ij - 1 against the Pauli matrices, every pair: max err %.1e", label, worst);
}

static void antisymmetry(const char *label, nqs_model *m) {
  const nqs_spin_isospin *b = nqs_nucleus_basis(m);
  const int A = b->A;
  nqs_rng rng;
  nqs_rng_seed(&rng, 5, A);
  double x[12], y[12], px[NQS_NUC_MAXBASIS], py[NQS_NUC_MAXBASIS], worst = 0, scale = 0;
  for (int c = 0; c < 3; c++)
    for (int p = 0; p < b->npairs; p++) {
      for (int k = 0; k < 3 * A; k++) x[k] = 1.2 * nqs_rng_normal(&rng);
      memcpy(y, x, sizeof x);
      for (int k = 0; k < 3; k++) {
        y[3 * b->pi[p] + k] = x[3 * b->pj[p] + k];
        y[3 * b->pj[p] + k] = x[3 * b->pi[p] + k];
      }
      nqs_nucleus_amplitudes(m, x, px);
      nqs_nucleus_amplitudes(m, y, py);
      for (int k = 0; k < b->n; k++) {
        worst = fmax(worst, fabs(py[b->swap[p][k]] + px[k]));
        scale = fmax(scale, fabs(px[k]));
      }
    }
  CHECK(worst < 1e-13 * scale && scale > 0, "%-22s exchange of (r, sigma, tau), every pair: Psi -> -Psi, max err %.1e of %.1e", label,
        worst, scale);
}

/* local energy parts against direct evaluation; O_k against central differences */
static void local_energy(const char *label, nqs_model *m, int coulomb, double lambda, double c1, double c2, double d0) {
  const nqs_spin_isospin *b = nqs_nucleus_basis(m);
  const int A = b->A, nb = b->n;
  nqs_error err;
  void *w = m->type->walker_new(m, &err);
  double *o = malloc(sizeof(double) * m->nparams), *f = malloc(sizeof(double) * m->nparams), *work = malloc(sizeof(double) * (m->work_doubles + 1));
  nqs_rng rng;
  nqs_rng_seed(&rng, 8, A);
  double wt = 0, wv = 0, wo = 0, wf = 0;
  int unequal = 0;
  const double hm = NQS_HBARC * NQS_HBARC / NQS_NUCLEON_MASS, h = 1e-3, l2 = lambda * lambda / 4;
  for (int c = 0; c < 4; c++) {
    double *x = m->type->walker_coords(w), e[NQS_MAX_SERIES], ei, psi[NQS_NUC_MAXBASIS], pp[NQS_NUC_MAXBASIS];
    for (int k = 0; k < 3 * A; k++) x[k] = 1.0 * nqs_rng_normal(&rng);
    m->type->walker_init(m, w, &err);
    m->type->local(m, w, e, &ei, work);
    /* kinetic: -(hbar^2/2m) sum_S psi_S lap psi_S / sum psi^2, lap by the 5-point stencil */
    nqs_nucleus_amplitudes(m, x, psi);
    const double norm = dotv(psi, psi, nb);
    double lap[NQS_NUC_MAXBASIS] = {0};
    double xs[12];
    for (int q = 0; q < 3 * A; q++) {
      static const double cf[5] = {-1.0 / 12, 16.0 / 12, -30.0 / 12, 16.0 / 12, -1.0 / 12};
      for (int t = 0; t < 5; t++) {
        memcpy(xs, x, sizeof(double) * 3 * A);
        xs[q] += (t - 2) * h;
        nqs_nucleus_amplitudes(m, xs, pp);
        for (int k = 0; k < nb; k++) lap[k] += cf[t] * pp[k] / (h * h);
      }
    }
    const double T = -0.5 * hm * dotv(psi, lap, nb) / norm;
    wt = fmax(wt, fabs(T - e[1]) / fmax(1.0, fabs(e[1])));
    /* potentials over the amplitude vector */
    double V2 = 0, VC = 0, V3 = 0, out[NQS_NUC_MAXBASIS], hpsi[NQS_NUC_MAXBASIS];
    for (int k = 0; k < nb; k++) hpsi[k] = -0.5 * hm * lap[k];
    for (int p = 0; p < b->npairs; p++) {
      const double *xi = x + 3 * b->pi[p], *xj = x + 3 * b->pj[p];
      const double r2 = (xi[0] - xj[0]) * (xi[0] - xj[0]) + (xi[1] - xj[1]) * (xi[1] - xj[1]) + (xi[2] - xj[2]) * (xi[2] - xj[2]);
      pauli_dot(b, b->pi[p], b->pj[p], psi, out);
      V2 += exp(-l2 * r2) * (c1 + c2 * dotv(psi, out, nb) / norm);
      for (int k = 0; k < nb; k++) hpsi[k] += exp(-l2 * r2) * (c1 * psi[k] + c2 * out[k]);
      for (int k = 0; k < nb; k++)
        if (coulomb && ((b->charges[k >> A] >> b->pi[p]) & 1) && ((b->charges[k >> A] >> b->pj[p]) & 1)) {
          VC += NQS_E2 / sqrt(r2) * psi[k] * psi[k] / norm;
          hpsi[k] += NQS_E2 / sqrt(r2) * psi[k];
        }
    }
    for (int i = 0; i < A; i++)
      for (int j = 0; j < A; j++)
        for (int k = 0; k < A; k++) {
          if (i >= j || k == i || k == j) continue; /* every triple once per apex k: pairs (i < j) with k apart */
          double rik = 0, rjk = 0;
          for (int a = 0; a < 3; a++) {
            rik += (x[3 * i + a] - x[3 * k + a]) * (x[3 * i + a] - x[3 * k + a]);
            rjk += (x[3 * j + a] - x[3 * k + a]) * (x[3 * j + a] - x[3 * k + a]);
          }
          V3 += d0 * exp(-l2 * (rik + rjk));
        }
    for (int k = 0; k < nb; k++) hpsi[k] += V3 * psi[k];
    wv = fmax(wv, fmax(fabs(V2 - e[2]), fmax(fabs(V3 - e[3]), fabs(VC - e[4]))));
    wv = fmax(wv, fabs(e[0] - e[1] - e[2] - e[3] - e[4]));
    /* O_k, and the force row f_k = sum_S (d Psi_S / d theta_k) (H Psi)_S / sum_S Psi_S^2 with H Psi
     * from the finite-difference Laplacian and the Pauli-matrix potentials above */
    m->type->dlogpsi_force(m, w, o, f);
    double fscale = 0;
    for (int k = 0; k < m->nparams; k++) fscale = fmax(fscale, fabs(f[k]));
    for (int k = 0; k < m->nparams; k++) {
      const double keep = m->params[k], hp = 2.5e-6; /* FD error ~ hp^2: 4.5e-5, 4.5e-7, 2.8e-8 at 1e-4, 1e-5, 2.5e-6 */
      double pm[NQS_NUC_MAXBASIS];
      m->params[k] = keep + hp;
      const double lp = nqs_nucleus_amplitudes(m, x, pp);
      m->params[k] = keep - hp;
      const double lm = nqs_nucleus_amplitudes(m, x, pm);
      m->params[k] = keep;
      wo = fmax(wo, fabs((lp - lm) / (2 * hp) - o[k]) / fmax(1.0, fabs(o[k])));
      double fk = 0;
      for (int q = 0; q < nb; q++) fk += (pp[q] - pm[q]) / (2 * hp) * hpsi[q] / norm;
      wf = fmax(wf, fabs(fk - f[k]) / fmax(1.0, fscale));
      if (k >= 2 && fabs(f[k] - o[k] * e[0]) > 1e-3 * fmax(1.0, fscale)) unequal++;
    }
  }
  CHECK(wt < 1e-6, "%-22s kinetic E_L vs finite-difference Laplacian of every amplitude: max rel err %.1e", label, wt);
  CHECK(wv < 1e-10, "%-22s two-body (Pauli sigma.sigma), three-body, Coulomb parts vs direct sums: max err %.1e MeV", label, wv);
  CHECK(wo < 1e-7, "%-22s O_k vs central differences (%d parameters): max rel err %.1e", label, m->nparams, wo);
  CHECK(wf < 1e-6, "%-22s force row sum_S dPsi_S (H Psi)_S / |Psi|^2 vs differences (%d of them != O_k E_L): max rel err %.1e",
        label, unequal, wf);
  m->type->walker_free(m, w);
  free(f);
  free(o);
  free(work);
}

static void sampling(void) {
  nqs_model *m = make(2, 1, "4", 0, "none", 0);
  if (!m) return;
  randomise(m, 21);
  /* quadrature in the relative distance r (nucleons at -+r/2 on the x axis): psi(r), and the
   * kinetic energy (hbar^2/m) int psi'^2 r^2 / int psi^2 r^2 by parts */
  const double hm = NQS_HBARC * NQS_HBARC / NQS_NUCLEON_MASS, h = 2e-3, l2 = 4.0;
  double num_t = 0, num_v = 0, num_r = 0, den = 0, amp[NQS_NUC_MAXBASIS];
  for (int k = 1; k < 20000; k++) {
    const double r = k * h;
    double x[6] = {-r / 2, 0, 0, r / 2, 0, 0}, xp[6] = {-(r + 1e-5) / 2, 0, 0, (r + 1e-5) / 2, 0, 0},
           xm[6] = {-(r - 1e-5) / 2, 0, 0, (r - 1e-5) / 2, 0, 0};
    const double psi = exp(nqs_nucleus_amplitudes(m, x, amp));
    const double dpsi = (exp(nqs_nucleus_amplitudes(m, xp, amp)) - exp(nqs_nucleus_amplitudes(m, xm, amp))) / 2e-5;
    const double w = psi * psi * r * r;
    den += w;
    num_t += hm * dpsi * dpsi * r * r;
    num_v += (-487.6128 - 17.5515) * exp(-l2 * r * r) * w;
    num_r += 0.25 * r * r * w;
  }
  const double e_q = (num_t + num_v) / den, r2_q = num_r / den;
  nqs_vmc_options vo = {.walkers = 16, .seed = 4};
  nqs_error err;
  nqs_vmc_result res;
  nqs_vmc *v = nqs_vmc_create(m, &vo, &err);
  const int ok = v && !nqs_vmc_thermalize(v, 300, 1, &err) && !nqs_vmc_sample(v, 12000, 0, &res, &err);
  if (!ok) CHECK(0, "deuteron sampling: %s", err.msg);
  else {
    const double ze = (res.energy.mean - e_q) / res.energy.error, zr = (res.series[5].mean - r2_q) / res.series[5].error;
    CHECK(fabs(ze) < 4 && fabs(zr) < 4 && res.acceptance > 0.2,
          "2H sampler vs quadrature: E = %.4f +- %.4f vs %.4f (%.1f sigma), r^2 = %.4f +- %.4f vs %.4f fm^2 (%.1f sigma), acc %.2f",
          res.energy.mean, res.energy.error, e_q, ze, res.series[5].mean, res.series[5].error, r2_q, zr, res.acceptance);
  }
  nqs_vmc_free(v);
  nqs_model_free(m);
}

/* A model with context, its parameters taken by name from one without (as run.init_from does;
 * the new input columns keep their zero start), has the same amplitudes at every configuration. */
static void context_warm_start(void) {
  nqs_model *plain = make(4, 2, "6", 0, "8", 0), *ctx = make(4, 2, "6", 0, "8", 1);
  if (!plain || !ctx) {
    CHECK(0, "context warm start: models");
    nqs_model_free(plain), nqs_model_free(ctx);
    return;
  }
  randomise(plain, 21);
  int matched = 0;
  for (int k = 0; k < ctx->nparams; k++) {
    char a[80], b[80];
    ctx->type->param_name(ctx, k, a, sizeof a);
    for (int j = 0; j < plain->nparams; j++) {
      plain->type->param_name(plain, j, b, sizeof b);
      if (strcmp(a, b) == 0) ctx->params[k] = plain->params[j], matched++;
    }
  }
  nqs_rng rng;
  nqs_rng_seed(&rng, 3, 4);
  double worst = 0, scale = 0, x[12], p0[NQS_NUC_MAXBASIS], p1[NQS_NUC_MAXBASIS];
  for (int c = 0; c < 5; c++) {
    for (int k = 0; k < 12; k++) x[k] = 1.1 * nqs_rng_normal(&rng);
    const double l0 = nqs_nucleus_amplitudes(plain, x, p0), l1 = nqs_nucleus_amplitudes(ctx, x, p1);
    worst = fmax(worst, fabs(l0 - l1));
    for (int k = 0; k < nqs_nucleus_basis(plain)->n; k++) worst = fmax(worst, fabs(p0[k] - p1[k])), scale = fmax(scale, fabs(p0[k]));
  }
  CHECK(matched == plain->nparams && ctx->nparams > plain->nparams && worst < 1e-12 * fmax(1, scale),
        "4He L=6: context = yes warm-started by name from a state without (%d of %d parameters) has its amplitudes "
        "to %.1e", matched, ctx->nparams, worst);
  nqs_model_free(plain);
  nqs_model_free(ctx);
}

int main(void) {
  context_warm_start();
  sampling();
  algebra("2H", 2, 1, 1.0, 0.0);
  algebra("3H", 3, 1, 0.5, 0.5);
  algebra("3He", 3, 2, 0.5, 0.5);
  algebra("4He", 4, 2, 0.0, 0.0);
  static const struct {
    const char *label;
    int A, Z, coulomb;
    const char *cutoff, *spin;
    double lambda, c1, c2, d0;
    int context; /* J and u see the pair's environment */
  } cases[] = {{"2H L=4", 2, 1, 0, "4", "8", 4, -487.6128, -17.5515, 677.7989, 0},
               {"3H L=4", 3, 1, 0, "4", "8", 4, -487.6128, -17.5515, 677.7989, 0},
               {"3He L=6 Coulomb", 3, 2, 1, "6", "8, 4", 6, -1064.5010, -26.0830, 2652.651, 0},
               {"4He L=2 Coulomb", 4, 2, 1, "2", "8", 2, -133.3431, -9.0212, 68.4883, 0},
               {"4He L=4 no spin", 4, 2, 0, "4", "none", 4, -487.6128, -17.5515, 677.7989, 0},
               {"2H L=4 context", 2, 1, 0, "4", "8", 4, -487.6128, -17.5515, 677.7989, 1},
               {"3H L=6 context", 3, 1, 0, "6", "8, 4", 6, -1064.5010, -26.0830, 2652.651, 1},
               {"4He L=6 context", 4, 2, 0, "6", "8", 6, -1064.5010, -26.0830, 2652.651, 1},
               {"4He L=4 context, no spin", 4, 2, 0, "4", "none", 4, -487.6128, -17.5515, 677.7989, 1}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    nqs_model *m = make(cases[c].A, cases[c].Z, cases[c].cutoff, cases[c].coulomb, cases[c].spin, cases[c].context);
    if (!m) {
      CHECK(0, "%s: model", cases[c].label);
      continue;
    }
    randomise(m, 11 + c);
    antisymmetry(cases[c].label, m);
    local_energy(cases[c].label, m, cases[c].coulomb, cases[c].lambda, cases[c].c1, cases[c].c2, cases[c].d0);
    nqs_model_free(m);
  }
  return check_done();
}
