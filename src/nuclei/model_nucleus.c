/* model_nucleus.c — light nuclei (A <= 4) of leading-order pionless EFT as an engine model.
 *
 * Wave function: amplitudes over the exact spin-isospin basis (nqs/nuclei/nucleus.h),
 *   Psi(R, S) = exp(U(R)) chi_S(R),
 *   U = sum_{i<j} f(r_ij) + sum_{triples, apex k} t(r_ik^2 + r_jk^2),     f(r) = J(r) - a r^2 / (1 + b r)
 *   chi = Phi + sum_{i<j} u(r_ij) sigma_i.sigma_j Phi
 * Phi is the s-shell spin-isospin state (antisymmetric, total S and T of the ground state). J
 * and u are pair networks of r^2 (smooth at r = 0: no cusp), t a network of the three-body
 * force's own variable (a pair correlator alone cannot keep three nucleons out of the repulsive
 * three-body core while it pulls pairs into the attractive two-body well); all are nqs_mlp with
 * tanh, and their output layers start at zero, so a new state is the s-shell state times the
 * confining pair factor. a > 0 and b >= 0 make the tail of f linear in r (the bound state's
 * exponential decay). With context (pair_inputs, triplet_inputs) J and u take the pair's
 * environment c_ij as a second input and t its base pair's r_ij^2. exp(U) is symmetric and sum_{i<j} u
 * sigma.sigma commutes with every permutation, so Psi is antisymmetric under the exchange of
 * (r, sigma, tau) of two nucleons (tested, not assumed), and chi carries the mixed-symmetry
 * spin components that sigma.sigma induces.
 * Centre of mass: Psi depends on distances only, so it does not depend on the centre of mass at
 * all; the Laplacian of such a function is the intrinsic one, and E_L is the intrinsic energy
 * with no centre-of-mass kinetic energy to subtract. Sampling moves one nucleon at a time in
 * the full space and re-centres after each sweep (a symmetry of |Psi|^2).
 *
 * With F = exp(U), N = sum_S chi_S^2, the sampled density is F^2 N and
 *   E_L = sum_S Psi_S (H Psi)_S / sum_S Psi_S^2
 *   T_L = -(hbar^2/2m) [lap U + |grad U|^2 + 2 grad U . sum_S chi grad chi / N + sum_S chi lap chi / N]
 * where grad chi and lap chi are sums over the pairs of u', u'' times the fixed vectors
 * w_p = sigma.sigma_p Phi, so every spin sum is a dot product d_p = chi . w_p / N. The potential
 * acts on chi in the basis: sigma.sigma_p = 2 P^sigma_p - 1 (an exchange of two spin labels),
 * Coulomb is diagonal, the three-body force scalar.
 * O_k: dU/dtheta for a, b, J and t; for u, sum_p du_p/dtheta d_p (weighted back-propagation).
 * The spin sum is exact, so a parameter of u, which changes the amplitudes unequally, does not
 * have the energy gradient 2 cov(O_k, E_L): the model gives the engine the force row
 * sum_S (d Psi_S) (H Psi)_S / sum_S Psi_S^2 (nqs/core/model.h, dlogpsi_force). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/model.h"
#include "nqs/core/option.h"
#include "nqs/nn/mlp.h"
#include "nqs/nuclei/nucleus.h"
#include "nqs/particles/observables.h"

#define MAXP NQS_NUC_MAXPAIRS
#define MAXB NQS_NUC_MAXBASIS
#define MAXT 12 /* three-body terms: 3 per triple, 4 triples for A = 4 */

typedef struct {
  nqs_spin_isospin b;
  nqs_lec lec;
  int coulomb, A, np, nb, spin;
  double hm; /* hbar^2 / m */
  nqs_mlp jnet, unet, tnet;
  int off_j, off_u, off_t; /* parameter offsets: a, b, then J's, u's, t's */
  int triplet, nt;         /* three-body correlator on; the three-body terms (3 per triple) */
  int context;             /* second inputs: J and u see the pair's environment c_p, t its base pair's r^2 */
  int ti[MAXT], tj[MAXT], tk[MAXT]; /* three-body term q: nucleons i < j and the apex k */
  int ws;           /* doubles of network workspace */
  double phi[MAXB], w[MAXP][MAXB];
  int has_ref, ref_exact;
  double ref;
  const char *ref_source;
  nqs_config c;
} nucleus;

#define NUC(m) ((const nucleus *)(m)->priv)

/* Everything at one configuration. */
typedef struct {
  double X[2 * MAXP], S[2 * MAXT]; /* the networks' inputs: pair_inputs, triplet_inputs */
  double r[MAXP], e[MAXP][3];       /* distances and unit vectors (x_i - x_j)/r */
  double f[MAXP], f1[MAXP], f1r[MAXP], f2[MAXP], u[MAXP], u1[MAXP], u1r[MAXP], u2[MAXP]; /* f1r = f'/r */
  double t[MAXT], t1[MAXT], t2[MAXT]; /* the three-body terms: t(s), dt/ds, d2t/ds2 */
  /* context only: grad c_p (3A), and J's and u's dy/dc and the rest of their Laplacians,
   * y_c lap c + 2 y_zc grad z . grad c + y_cc |grad c|^2 */
  double gc[MAXP][3 * NQS_NUC_MAXA], fc[MAXP], flc[MAXP], uc[MAXP], ulc[MAXP];
  /* context only: t's dt/dz of its base pair's z = r_ij^2 and the rest of its Laplacian,
   * t_z lap z + t_zz |grad z|^2 + 2 t_sz grad s . grad z = 12 t_z + 8 z t_zz + 8 z t_sz */
  double tz[MAXT], tlz[MAXT];
  double chi[MAXB], norm, logpsi;
} nstate;

/* H Psi at a walker's configuration, computed by the local energy and reused by the force row
 * of the same sample (the engine calls them in turn; a move or a re-initialisation, which
 * follows every parameter change, makes it stale). */
typedef struct {
  int valid;
  nstate s;
  double hchi[MAXB], part[4];
} hcache;

typedef struct {
  nqs_rng rng;
  double x[3 * NQS_NUC_MAXA], xn[3 * NQS_NUC_MAXA];
  double logpsi;
  double *work; /* network workspace */
  hcache *h;
} nwalker;

static const char *const SERIES[] = {"energy", "kinetic", "potential_2body", "potential_3body", "coulomb", "r2"};

/* s_q = r_ik^2 + r_jk^2 of every three-body term q (nucleons i < j, apex k); with context also
 * S[nt + q] = z_q = r_ij^2, its base pair's (s and z together fix the triangle's shape up to the
 * i <-> j exchange the sum over terms is symmetric in). */
static void triplet_inputs(const nucleus *n, const double *x, double *S) {
  for (int q = 0; q < n->nt; q++) {
    double z = 0;
    S[q] = 0;
    for (int c = 0; c < 3; c++) {
      const double a1 = x[3 * n->ti[q] + c] - x[3 * n->tk[q] + c], a2 = x[3 * n->tj[q] + c] - x[3 * n->tk[q] + c];
      S[q] += a1 * a1 + a2 * a2;
      z += (a1 - a2) * (a1 - a2);
    }
    if (n->context) S[n->nt + q] = z;
  }
}

static double dot(const double *a, const double *b, int n) {
  double v = 0;
  for (int k = 0; k < n; k++) v += a[k] * b[k];
  return v;
}

/* The inputs of the pair networks, X[p] = z_p = r_ij^2 and, with context, X[np + p] = c_p,
 * the mean square distance of the pair's two nucleons from the other A - 2,
 *   c_p = sum_{k != i,j} (r_ik^2 + r_jk^2) / (2 (A - 2))   (0 for A = 2),
 * symmetric in i <-> j and in the others, so sum_p y(z_p, c_p) stays symmetric under every
 * permutation. Its derivatives: grad_i c = sum_k (x_i - x_k) / (A - 2) (likewise j),
 * grad_k c = -((x_i - x_k) + (x_j - x_k)) / (A - 2), lap c = 12, grad z . grad c = 2 z.
 * With gc != NULL, gc[p] = grad c_p. */
static void pair_inputs(const nucleus *n, const double *x, double *X, double (*gc)[3 * NQS_NUC_MAXA]) {
  for (int p = 0; p < n->np; p++) {
    const double *xi = x + 3 * n->b.pi[p], *xj = x + 3 * n->b.pj[p];
    double r2 = 0;
    for (int k = 0; k < 3; k++) r2 += (xi[k] - xj[k]) * (xi[k] - xj[k]);
    X[p] = r2;
  }
  if (!n->context) return;
  const int A = n->A;
  const double kappa = A > 2 ? 1.0 / (A - 2) : 0.0;
  for (int p = 0; p < n->np; p++) {
    const int i = n->b.pi[p], j = n->b.pj[p];
    double c = 0;
    if (gc) memset(gc[p], 0, sizeof gc[p]);
    for (int k = 0; k < A; k++) {
      if (k == i || k == j) continue;
      for (int d = 0; d < 3; d++) {
        const double a1 = x[3 * i + d] - x[3 * k + d], a2 = x[3 * j + d] - x[3 * k + d];
        c += a1 * a1 + a2 * a2;
        if (gc) {
          gc[p][3 * i + d] += kappa * a1;
          gc[p][3 * j + d] += kappa * a2;
          gc[p][3 * k + d] -= kappa * (a1 + a2);
        }
      }
    }
    X[n->np + p] = 0.5 * kappa * c;
  }
}

/* A network of two inputs (u, v) (rows of X, B columns) along u, along v and along u + v: y,
 * y_u, y_uu, y_v, y_vv and, by polarisation, y_uv. */
static void forward2(const nqs_mlp *net, const double *th, int B, const double *X, double *y, double *yu, double *yuu,
                     double *yv, double *yvv, double *yuv, double *work) {
  static const double eu[2] = {1.0, 0.0}, ev[2] = {0.0, 1.0}, euv[2] = {1.0, 1.0};
  double ign[MAXT], yss[MAXT];
  nqs_mlp_forward_batch(net, th, B, X, eu, y, yu, yuu, work);
  nqs_mlp_forward_batch(net, th, B, X, ev, ign, yv, yvv, work);
  nqs_mlp_forward_batch(net, th, B, X, euv, ign, ign, yss, work);
  for (int b = 0; b < B; b++) yuv[b] = 0.5 * (yss[b] - yuu[b] - yvv[b]);
}

/* A pair network of (z, c): y, y_z, y_zz, y_c, and the part of its Laplacian from c,
 * y_c lap c + 2 y_zc grad z . grad c + y_cc |grad c|^2 (see pair_inputs; for A = 2, c = 0 and
 * all of it vanishes). */
static void context_forward(const nqs_mlp *net, const double *th, int A, int np, const double *X,
                            double (*gc)[3 * NQS_NUC_MAXA], double *y, double *yz, double *yzz, double *yc, double *lapc,
                            double *work) {
  double ycc[MAXT], yzc[MAXT];
  forward2(net, th, np, X, y, yz, yzz, yc, ycc, yzc, work);
  for (int p = 0; p < np; p++) lapc[p] = A > 2 ? 12.0 * yc[p] + 4.0 * X[p] * yzc[p] + ycc[p] * dot(gc[p], gc[p], 3 * A) : 0.0;
}

/* The pair values at x; with derivs also f', f'', u', u'' (and the context terms). */
static void evaluate(const nucleus *n, const double *th, const double *x, nstate *s, int derivs, double *work) {
  static const double dir[1] = {1.0};
  const double a = th[0], bb = th[1];
  double *X = s->X, y[MAXP], d1[MAXP], d2[MAXP];
  pair_inputs(n, x, X, derivs ? s->gc : NULL);
  if (n->triplet || derivs) triplet_inputs(n, x, s->S); /* for t, and for the three-body force in E_L */
  for (int p = 0; p < n->np; p++) {
    const double *xi = x + 3 * n->b.pi[p], *xj = x + 3 * n->b.pj[p];
    for (int k = 0; k < 3; k++) s->e[p][k] = xi[k] - xj[k];
    s->r[p] = sqrt(X[p]);
    for (int k = 0; k < 3; k++) s->e[p][k] /= s->r[p];
  }
  /* the networks see z = r^2, so they are smooth (even) at r = 0: no cusp, no 1/r in E_L;
   * with y_z, y_zz along z: y' = 2 r y_z, y'' = 2 y_z + 4 r^2 y_zz, and y'/r = 2 y_z */
  if (n->context && derivs) context_forward(&n->jnet, th + n->off_j, n->A, n->np, X, s->gc, y, d1, d2, s->fc, s->flc, work);
  else nqs_mlp_forward_batch(&n->jnet, th + n->off_j, n->np, X, derivs && !n->context ? dir : NULL, y, d1, d2, work);
  double U = 0;
  for (int p = 0; p < n->np; p++) {
    const double r = s->r[p], q = 1.0 + bb * r;
    /* c(r) = a r^2/(1 + b r): c' = a r (2 + b r)/q^2, c'/r and c'' = 2 a / q^3 */
    s->f[p] = y[p] - a * r * r / q;
    U += s->f[p];
    if (derivs) {
      s->f1[p] = 2.0 * r * d1[p] - a * r * (2.0 + bb * r) / (q * q);
      s->f1r[p] = 2.0 * d1[p] - a * (2.0 + bb * r) / (q * q);
      s->f2[p] = 2.0 * d1[p] + 4.0 * X[p] * d2[p] - 2.0 * a / (q * q * q);
    }
  }
  if (n->triplet) {
    /* t(s_m), s_m = r_ik^2 + r_jk^2 for the apex k: the shape of the three-body force */
    const double *S = s->S;
    if (n->context && derivs) {
      double tzz[MAXT], tsz[MAXT];
      forward2(&n->tnet, th + n->off_t, n->nt, S, s->t, s->t1, s->t2, s->tz, tzz, tsz, work);
      for (int q = 0; q < n->nt; q++) s->tlz[q] = 12.0 * s->tz[q] + 8.0 * S[n->nt + q] * (tzz[q] + tsz[q]);
    } else nqs_mlp_forward_batch(&n->tnet, th + n->off_t, n->nt, S, derivs && !n->context ? dir : NULL, s->t, s->t1, s->t2, work);
    for (int q = 0; q < n->nt; q++) U += s->t[q];
  }
  for (int k = 0; k < n->nb; k++) s->chi[k] = n->phi[k];
  if (n->spin) {
    if (n->context && derivs) context_forward(&n->unet, th + n->off_u, n->A, n->np, X, s->gc, s->u, d1, d2, s->uc, s->ulc, work);
    else nqs_mlp_forward_batch(&n->unet, th + n->off_u, n->np, X, derivs && !n->context ? dir : NULL, s->u, d1, d2, work);
    for (int p = 0; derivs && p < n->np; p++) {
      s->u1[p] = 2.0 * s->r[p] * d1[p];
      s->u1r[p] = 2.0 * d1[p];
      s->u2[p] = 2.0 * d1[p] + 4.0 * X[p] * d2[p];
    }
    for (int p = 0; p < n->np; p++)
      for (int k = 0; k < n->nb; k++) s->chi[k] += s->u[p] * n->w[p][k];
  }
  s->norm = 0;
  for (int k = 0; k < n->nb; k++) s->norm += s->chi[k] * s->chi[k];
  s->logpsi = U + 0.5 * log(s->norm);
}

static double size_of(int A, const double *x);

/* H applied to Psi at x, divided by F = exp(U): hchi[S] = (H Psi)_S / F over the basis, so that
 * E_L = chi . hchi / N; part[0..3] = the kinetic, two-body, three-body and Coulomb shares of
 * E_L. The kinetic vector is
 *   -(hbar^2/2m) [(lap U + |grad U|^2) chi + 2 sum_p u'_p (grad_i U - grad_j U) . e_p w_p
 *                 + sum_p 2 (u''_p + 2 u'_p / r_p) w_p]
 * (grad chi and lap chi are sums over the pairs of u', u'' times w_p). */
static void hamiltonian(const nucleus *n, const double *th, const double *x, nstate *s, double *hchi, double part[4],
                        double *work) {
  evaluate(n, th, x, s, 1, work);
  const int A = n->A, nb = n->nb;
  double g[3 * NQS_NUC_MAXA] = {0}, lapU = 0;
  for (int p = 0; p < n->np; p++) {
    const int i = n->b.pi[p], j = n->b.pj[p];
    lapU += 2.0 * (s->f2[p] + 2.0 * s->f1r[p]);
    for (int k = 0; k < 3; k++) {
      g[3 * i + k] += s->f1[p] * s->e[p][k];
      g[3 * j + k] -= s->f1[p] * s->e[p][k];
    }
    if (n->context) {
      lapU += s->flc[p];
      for (int k = 0; k < 3 * A; k++) g[k] += s->fc[p] * s->gc[p][k];
    }
  }
  for (int q = 0; n->triplet && q < n->nt; q++) {
    /* grad_i s = 2 (x_i - x_k), grad_j s = 2 (x_j - x_k), grad_k s = -(both); lap s = 6 + 6 + 12 */
    const int i = n->ti[q], j = n->tj[q], k = n->tk[q];
    double gs2 = 0;
    for (int c = 0; c < 3; c++) {
      const double di = 2.0 * (x[3 * i + c] - x[3 * k + c]), dj = 2.0 * (x[3 * j + c] - x[3 * k + c]);
      g[3 * i + c] += s->t1[q] * di;
      g[3 * j + c] += s->t1[q] * dj;
      g[3 * k + c] -= s->t1[q] * (di + dj);
      gs2 += di * di + dj * dj + (di + dj) * (di + dj);
    }
    lapU += s->t2[q] * gs2 + 24.0 * s->t1[q];
    if (n->context) { /* t_z grad z: 2 (x_i - x_j) t_z on i, the opposite on j */
      lapU += s->tlz[q];
      for (int c = 0; c < 3; c++) {
        const double dz = 2.0 * s->tz[q] * (x[3 * i + c] - x[3 * j + c]);
        g[3 * i + c] += dz;
        g[3 * j + c] -= dz;
      }
    }
  }
  const double c0 = lapU + dot(g, g, 3 * A), hk = -0.5 * n->hm;
  double kin[MAXB], v2[MAXB] = {0}, vc[MAXB] = {0}, sc[MAXB];
  for (int k = 0; k < nb; k++) kin[k] = c0 * s->chi[k];
  for (int p = 0; n->spin && p < n->np; p++) {
    const int i = n->b.pi[p], j = n->b.pj[p];
    double ge = 0;
    for (int c = 0; c < 3; c++) ge += (g[3 * i + c] - g[3 * j + c]) * s->e[p][c];
    double cp = 2.0 * s->u1[p] * ge + 2.0 * (s->u2[p] + 2.0 * s->u1r[p]);
    if (n->context) cp += 2.0 * s->uc[p] * dot(g, s->gc[p], 3 * A) + s->ulc[p];
    for (int k = 0; k < nb; k++) kin[k] += cp * n->w[p][k];
  }
  const double l2 = 0.25 * n->lec.lambda * n->lec.lambda;
  for (int p = 0; p < n->np; p++) {
    const double ep = exp(-l2 * s->r[p] * s->r[p]);
    nqs_sigma_dot(&n->b, p, 0, s->chi, sc);
    for (int k = 0; k < nb; k++) v2[k] += ep * (n->lec.c1 * s->chi[k] + n->lec.c2 * sc[k]);
    if (n->coulomb)
      for (int k = 0; k < nb; k++) vc[k] += NQS_E2 / s->r[p] * n->b.pp[p][k] * s->chi[k];
  }
  /* three-body: every triple once per apex k: exp(-l2 (r_ik^2 + r_jk^2)), a scalar */
  double V3 = 0;
  for (int q = 0; q < n->nt; q++) V3 += n->lec.d0 * exp(-l2 * s->S[q]);
  double T = 0, V2 = 0, VC = 0;
  for (int k = 0; k < nb; k++) {
    hchi[k] = hk * kin[k] + v2[k] + vc[k] + V3 * s->chi[k];
    T += s->chi[k] * kin[k];
    V2 += s->chi[k] * v2[k];
    VC += s->chi[k] * vc[k];
  }
  part[0] = hk * T / s->norm;
  part[1] = V2 / s->norm;
  part[2] = V3;
  part[3] = VC / s->norm;
}

/* The walker's H Psi (computed once per configuration and parameter set). */
static const hcache *walker_h(const nqs_model *m, const nwalker *w) {
  if (!w->h->valid) {
    hamiltonian(NUC(m), m->params, w->x, &w->h->s, w->h->hchi, w->h->part, w->work);
    w->h->valid = 1;
  }
  return w->h;
}

/* e: energy, kinetic, two-body, three-body, Coulomb, r^2 about the centre of mass */
static void n_local(const nqs_model *m, const void *wv, double *e, double *ei, double *work) {
  const nucleus *n = NUC(m);
  const nwalker *w = wv;
  const double *part = walker_h(m, w)->part;
  e[0] = part[0] + part[1] + part[2] + part[3];
  for (int q = 0; q < 4; q++) e[1 + q] = part[q];
  const double sz = size_of(n->A, w->x);
  e[5] = sz * sz;
  *ei = 0;
  (void)work;
}

/* O_k at the state s of walker w */
static void dlogpsi_at(const nqs_model *m, const nwalker *w, const nstate *s, double *o) {
  const nucleus *n = NUC(m);
  const double *th = m->params;
  memset(o, 0, sizeof(double) * (size_t)m->nparams);
  double c[MAXP];
  for (int p = 0; p < n->np; p++) {
    const double r = s->r[p], q = 1.0 + th[1] * r;
    o[0] -= r * r / q;
    o[1] += th[0] * r * r * r / (q * q);
    c[p] = n->spin ? dot(s->chi, n->w[p], n->nb) / s->norm : 0;
  }
  nqs_mlp_backward_batch(&n->jnet, th + n->off_j, n->np, s->X, NULL, o + n->off_j, w->work);
  if (n->spin) nqs_mlp_backward_batch(&n->unet, th + n->off_u, n->np, s->X, c, o + n->off_u, w->work);
  if (n->triplet) nqs_mlp_backward_batch(&n->tnet, th + n->off_t, n->nt, s->S, NULL, o + n->off_t, w->work);
}

static void n_dlogpsi(const nqs_model *m, const void *wv, double *o) {
  const nwalker *w = wv;
  nstate s;
  evaluate(NUC(m), m->params, w->x, &s, 0, w->work);
  dlogpsi_at(m, w, &s, o);
}

/* O_k and the force row f_k = sum_S (d Psi_S/d theta_k) (H Psi)_S / sum_S Psi_S^2: the Jastrow
 * and three-body parameters scale every amplitude alike (f_k = O_k E_L); u's move the amplitudes
 * apart, f_k = sum_p du_p/dtheta_k (w_p . hchi) / N. */
static void n_dlogpsi_force(const nqs_model *m, const void *wv, double *o, double *f) {
  const nucleus *n = NUC(m);
  const nwalker *w = wv;
  const hcache *h = walker_h(m, w);
  double c[MAXP];
  dlogpsi_at(m, w, &h->s, o);
  const double el = h->part[0] + h->part[1] + h->part[2] + h->part[3];
  for (int k = 0; k < m->nparams; k++) f[k] = o[k] * el;
  if (!n->spin) return;
  for (int k = n->off_u; k < n->off_t; k++) f[k] = 0;
  for (int p = 0; p < n->np; p++) c[p] = dot(n->w[p], h->hchi, n->nb) / h->s.norm;
  nqs_mlp_backward_batch(&n->unet, m->params + n->off_u, n->np, h->s.X, c, f + n->off_u, w->work);
}

static void centre_of_mass(int A, const double *x, double cm[3]) {
  cm[0] = cm[1] = cm[2] = 0;
  for (int i = 0; i < A; i++)
    for (int k = 0; k < 3; k++) cm[k] += x[3 * i + k] / A;
}

static void recentre(int A, double *x) {
  double cm[3];
  centre_of_mass(A, x, cm);
  for (int i = 0; i < A; i++)
    for (int k = 0; k < 3; k++) x[3 * i + k] -= cm[k];
}

/* rms distance of the nucleons from their centre of mass (fm) */
static double size_of(int A, const double *x) {
  double cm[3], r2 = 0;
  centre_of_mass(A, x, cm);
  for (int i = 0; i < A; i++)
    for (int k = 0; k < 3; k++) r2 += (x[3 * i + k] - cm[k]) * (x[3 * i + k] - cm[k]);
  return sqrt(r2 / A);
}

/* One-nucleon Gaussian moves, Metropolis-Hastings on F^2 N; then re-centre. A bound nucleus
 * has a compact core and a long tail, and it shrinks by a large factor as the optimisation
 * learns the short-range attraction, so no fixed width suits it: the width is step x s(x), s the
 * configuration's rms size (step is dimensionless, adapted once). The proposal is then not
 * symmetric; its ratio, with sigma = step s(x), sigma' = step s(x'), Delta = x'_i - x_i,
 *   q(x|x') / q(x'|x) = (sigma / sigma')^3 exp(-|Delta|^2 (1/sigma'^2 - 1/sigma^2) / 2),
 * enters the acceptance (tests/test_nucleus.c checks the sampled density against quadrature). */
static long n_sweep(const nqs_model *m, void *wv, double step) {
  const nucleus *n = NUC(m);
  nwalker *w = wv;
  nstate s;
  long acc = 0;
  double sz = size_of(n->A, w->x);
  w->h->valid = 0;
  for (int i = 0; i < n->A; i++) {
    memcpy(w->xn, w->x, sizeof(double) * 3 * (size_t)n->A);
    const double sg = step * sz;
    double d2 = 0;
    for (int k = 0; k < 3; k++) {
      const double dk = sg * nqs_rng_normal(&w->rng);
      w->xn[3 * i + k] += dk;
      d2 += dk * dk;
    }
    const double szn = size_of(n->A, w->xn), sgn = step * szn;
    evaluate(n, m->params, w->xn, &s, 0, w->work);
    const double la = 2.0 * (s.logpsi - w->logpsi) + 3.0 * log(sg / sgn) - 0.5 * d2 * (1.0 / (sgn * sgn) - 1.0 / (sg * sg));
    if (isfinite(la) && (la >= 0 || nqs_rng_uniform(&w->rng) < exp(la))) {
      memcpy(w->x, w->xn, sizeof(double) * 3 * (size_t)n->A);
      w->logpsi = s.logpsi;
      sz = szn;
      acc++;
    }
  }
  recentre(n->A, w->x);
  return acc;
}

static void n_walker_free(const nqs_model *m, void *wv) {
  nwalker *w = wv;
  if (w) {
    free(w->work);
    free(w->h);
  }
  free(w);
}

static void *n_walker_new(const nqs_model *m, nqs_error *err) {
  nwalker *w = calloc(1, sizeof *w);
  if (w) {
    w->work = malloc(sizeof(double) * (size_t)NUC(m)->ws);
    w->h = calloc(1, sizeof *w->h);
  }
  if (!w || !w->work || !w->h) {
    n_walker_free(m, w);
    nqs_error_set(err, NQS_ENOMEM, "out of memory for a walker");
    return NULL;
  }
  return w;
}

static nqs_rng *n_rng(void *w) { return &((nwalker *)w)->rng; }
static double *n_coords(void *w) { return ((nwalker *)w)->x; }

static nqs_status n_init(const nqs_model *m, void *wv, nqs_error *err) {
  nwalker *w = wv;
  for (int k = 0; k < m->ncoords; k++)
    if (!isfinite(w->x[k]) || fabs(w->x[k]) > 1e6)
      return nqs_error_set(err, NQS_EINPUT, "coordinate %d of a walker is %g: not a nucleon position (fm)", k, w->x[k]);
  nstate s;
  w->h->valid = 0;
  evaluate(NUC(m), m->params, w->x, &s, 0, w->work);
  w->logpsi = s.logpsi;
  if (!isfinite(s.logpsi)) return nqs_error_set(err, NQS_ERUNTIME, "ln|Psi| is not finite at a walker's configuration");
  return NQS_OK;
}

/* Nucleons ~ N(0, (1.5 fm)^2) per coordinate about their centre of mass. */
static nqs_status n_start(const nqs_model *m, void *wv, nqs_error *err) {
  nwalker *w = wv;
  nqs_status st = NQS_ERUNTIME;
  for (int attempt = 0; attempt < 100 && st != NQS_OK; attempt++) {
    for (int k = 0; k < m->ncoords; k++) w->x[k] = 1.5 * nqs_rng_normal(&w->rng);
    recentre(NUC(m)->A, w->x);
    st = n_init(m, w, err);
  }
  return st;
}

static int n_finite(const nqs_model *m, const void *w) { return isfinite(((const nwalker *)w)->logpsi); }

/* a > 0 keeps the pair factor confining; b >= 0 keeps it finite at every distance */
static void n_changed(nqs_model *m) {
  if (!(m->params[0] >= 1e-4)) m->params[0] = 1e-4;
  if (!(m->params[1] >= 0)) m->params[1] = 0;
}

static void n_name(const nqs_model *m, int k, char *buf, size_t size) {
  const nucleus *n = NUC(m);
  if (k == 0) snprintf(buf, size, "jastrow.a");
  else if (k == 1) snprintf(buf, size, "jastrow.b");
  else if (k < n->off_u) nqs_mlp_param_name(&n->jnet, k - n->off_j, "jastrow.", buf, size);
  else if (k < n->off_t) nqs_mlp_param_name(&n->unet, k - n->off_u, "spin.", buf, size);
  else nqs_mlp_param_name(&n->tnet, k - n->off_t, "triplet.", buf, size);
}

static void n_free(nqs_model *m) {
  if (!m) return;
  if (m->priv) free(m->params);
  free(m->priv);
  free(m);
}

/* The low-energy constants of [nucleus]: a published cutoff, or custom. lambda, C1, C2, D0 are
 * read only with cutoff = custom; their defaults are the Lambda = 4 set, so any other value
 * beside a published cutoff is an input error. */
static nqs_status constants(const nqs_config *c, nqs_lec *lec, nqs_error *err) {
  if (strcmp(c->nucleus.cutoff, "custom") == 0) {
    *lec = (nqs_lec){c->nucleus.lambda, c->nucleus.C1, c->nucleus.C2, c->nucleus.D0};
    return NQS_OK;
  }
  if (c->nucleus.lambda != 4 || c->nucleus.C1 != -487.6128 || c->nucleus.C2 != -17.5515 || c->nucleus.D0 != 677.7989)
    return nqs_error_setk(err, NQS_EINPUT, "nucleus.cutoff",
                          "cutoff = %s takes its published C1, C2, D0 and Lambda; to give your own, set cutoff = custom",
                          c->nucleus.cutoff);
  nqs_lec_lookup(atoi(c->nucleus.cutoff), lec);
  return NQS_OK;
}

/* One correlator network of `inputs` inputs from its [nucleus] key ("none" allowed when
 * may_omit): *on = 0 for none. */
static nqs_status network(const char *text, const char *key, int may_omit, int inputs, nqs_mlp *net, int *on, nqs_error *err) {
  int w[8], nw;
  *on = !(may_omit && strcmp(text, "none") == 0);
  if (!*on) return NQS_OK;
  if (nqs_mlp_parse_widths(text, w, &nw))
    return nqs_error_setk(err, NQS_EINPUT, key, "%s = %s: give %sa comma list of 1 to 7 widths, each 1..4096", key + 8, text,
                          may_omit ? "none, or " : "");
  return nqs_mlp_init(net, inputs, w, nw, NQS_ACT_TANH, err);
}

/* The reference beside the energy: the exact deuteron (radial equation), or GFMC for 3H and 4He
 * without Coulomb at the published cutoffs 4 and 6 (Adams, Carleo, Lovato & Rocco, PRL 127,
 * 022502 (2021)). */
static void set_reference(nucleus *n, int custom) {
  if (n->A == 2 && n->b.Z == 1) {
    double e[3];
    nqs_error ignored;
    if (nqs_deuteron_exact(&n->lec, NQS_DEUTERON_STEP, NQS_DEUTERON_RANGE, e, NULL, &ignored) == NQS_OK && e[0] < 0) {
      n->has_ref = n->ref_exact = 1;
      n->ref = e[0];
      n->ref_source = "exact (deuteron radial equation)";
    }
  } else if (!custom && !n->coulomb && n->b.Z == 1 && n->A == 3 && (int)n->lec.lambda != 2) {
    n->has_ref = 1;
    n->ref = -8.38;
    n->ref_source = "GFMC (Adams et al., PRL 127, 022502 (2021)), +-0.02";
  } else if (!custom && !n->coulomb && n->A == 4 && (int)n->lec.lambda != 2) {
    n->has_ref = 1;
    n->ref = (int)n->lec.lambda == 4 ? -23.62 : -25.06;
    n->ref_source = "GFMC (Adams et al., PRL 127, 022502 (2021)), +-0.03";
  }
}

static nqs_model *n_create(const nqs_config *c, nqs_error *err) {
  nqs_model *m = calloc(1, sizeof *m);
  nucleus *n = calloc(1, sizeof *n);
  if (!m || !n) {
    free(m);
    free(n);
    nqs_error_set(err, NQS_ENOMEM, "out of memory");
    return NULL;
  }
  m->type = &nqs_model_nucleus;
  m->priv = n;
  n->c = *c;
  const nqs_config *cc = &n->c;
  int jastrow, triplet;
  n->context = strcmp(cc->nucleus.context, "yes") == 0;
  if (nqs_spin_isospin_init(&n->b, cc->nucleus.nucleons, cc->nucleus.protons, err) || constants(cc, &n->lec, err) ||
      network(cc->nucleus.jastrow_layers, "nucleus.jastrow_layers", 0, 1 + n->context, &n->jnet, &jastrow, err) ||
      network(cc->nucleus.spin_layers, "nucleus.spin_layers", 1, 1 + n->context, &n->unet, &n->spin, err) ||
      network(cc->nucleus.triplet_layers, "nucleus.triplet_layers", 1, 1 + n->context, &n->tnet, &triplet, err))
    goto fail;
  n->A = n->b.A;
  n->np = n->b.npairs;
  n->nb = n->b.n;
  n->triplet = triplet && n->A >= 3;
  n->coulomb = strcmp(cc->nucleus.coulomb, "yes") == 0;
  n->hm = NQS_HBARC * NQS_HBARC / NQS_NUCLEON_MASS;
  nqs_sshell_state(&n->b, n->phi);
  for (int p = 0; p < n->np; p++) nqs_sigma_dot(&n->b, p, 0, n->phi, n->w[p]);
  for (int i = 0; i < n->A; i++)
    for (int j = i + 1; j < n->A; j++)
      for (int k = 0; k < n->A; k++)
        if (k != i && k != j) { /* every triple once per apex k: the pairs i < j and each k outside them */
          n->ti[n->nt] = i;
          n->tj[n->nt] = j;
          n->tk[n->nt++] = k;
        }
  n->off_j = 2;
  n->off_u = 2 + n->jnet.nparams;
  n->off_t = n->off_u + (n->spin ? n->unet.nparams : 0);
  m->nparams = n->off_t + (n->triplet ? n->tnet.nparams : 0);
  n->ws = nqs_mlp_batch_work_size(&n->jnet, MAXT);
  if (n->spin && nqs_mlp_batch_work_size(&n->unet, MAXT) > n->ws) n->ws = nqs_mlp_batch_work_size(&n->unet, MAXT);
  if (n->triplet && nqs_mlp_batch_work_size(&n->tnet, MAXT) > n->ws) n->ws = nqs_mlp_batch_work_size(&n->tnet, MAXT);
  m->params = calloc((size_t)m->nparams, sizeof(double));
  if (!m->params) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory for %d parameters", m->nparams);
    goto fail;
  }
  m->params[0] = cc->nucleus.confine_a;
  m->params[1] = cc->nucleus.confine_b;
  nqs_rng rng;
  nqs_rng_seed(&rng, cc->run.seed, 0x4E55C1E5ull);
  nqs_mlp_init_zero_output(&n->jnet, m->params + n->off_j, &rng);
  if (n->spin) nqs_mlp_init_zero_output(&n->unet, m->params + n->off_u, &rng);
  if (n->triplet) nqs_mlp_init_zero_output(&n->tnet, m->params + n->off_t, &rng);
  /* the context column of W_0 starts at zero: the networks start as functions of r alone, and a
   * run warm-started from one without context (matched by name) starts from that state exactly */
  for (int o = 0; n->context && o < n->jnet.w[1]; o++) m->params[n->off_j + 2 * o + 1] = 0;
  for (int o = 0; n->context && n->spin && o < n->unet.w[1]; o++) m->params[n->off_u + 2 * o + 1] = 0;
  for (int o = 0; n->context && n->triplet && o < n->tnet.w[1]; o++) m->params[n->off_t + 2 * o + 1] = 0;
  m->ncoords = 3 * n->A;
  m->moves = n->A;
  m->units = n->A;
  m->unit = "nucleon";
  m->energy_unit = "MeV", m->length_unit = "fm";
  m->nseries = 6;
  for (int q = 0; q < m->nseries; q++) m->series[q] = SERIES[q];
  m->moves_name = "metropolis";
  m->default_step = 0.5;
  m->default_target = 0.5;
  m->adapts = 1;
  set_reference(n, strcmp(cc->nucleus.cutoff, "custom") == 0);
  return m;
fail:
  n_free(m);
  return NULL;
}

/* the one-body density about the centre of mass (the walkers' coordinates are re-centred) */
static nqs_status n_obs_create(const nqs_model *m, const nqs_config *c, int walkers, void *const *local, int nlocal,
                               const nqs_comm *comm, void **obs, nqs_error *err) {
  nqs_obs_options oo = {.radial_bins = c->observables.radial_bins, .r_max = c->observables.r_max > 0 ? c->observables.r_max : 6.0};
  nqs_system sys;
  *obs = NULL;
  if (!oo.radial_bins) return NQS_OK;
  if (nqs_system_init(&sys, 3, NUC(m)->A, NQS_DISTINGUISHABLE, NQS_INTERACTION_NONE, 1.0, 1.0, err)) return err->code;
  sys.lambda = NAN; /* no trap: the histogram's free-particle reference column (rho_free) is NaN */
  *obs = nqs_obs_create(&sys, &oo, walkers, err);
  return *obs ? NQS_OK : err->code;
}

static void n_obs_measure(void *obs, int g, const void *w) { nqs_obs_measure(obs, g, ((const nwalker *)w)->x); }
static nqs_status n_obs_reduce(void *obs, const nqs_comm *comm, nqs_error *err) { return nqs_obs_reduce(obs, comm, err); }
static nqs_status n_obs_write(const nqs_model *m, void *obs, long sweeps, const char *dir, nqs_error *err) {
  return nqs_obs_write(obs, dir, m->length_unit, err);
}

static cJSON *n_obs_json(const nqs_model *m, void *obs) {
  cJSON *o = cJSON_CreateObject();
  const nqs_histogram *h = nqs_obs_radial(obs);
  cJSON_AddStringToObject(o, "hdf5", "observables.h5");
  if (h) {
    cJSON *d = cJSON_AddObjectToObject(o, "density_radial");
    cJSON_AddStringToObject(d, "file", "density_radial.csv");
    cJSON_AddStringToObject(d, "about", "the centre of mass (fm)");
    cJSON_AddNumberToObject(d, "bins", h->bins);
    cJSON_AddNumberToObject(d, "range_max", h->hi);
    cJSON_AddNumberToObject(d, "weight_outside", h->outside);
  }
  return o;
}

static void n_obs_free(void *obs) { nqs_obs_free(obs); }

static int n_reference(const nqs_model *m, double *value, const char **source) {
  *value = NUC(m)->ref;
  *source = NUC(m)->ref_source;
  return NUC(m)->has_ref;
}

static int n_lower_bound(const nqs_model *m, double *value, const char **source) {
  return NUC(m)->ref_exact ? n_reference(m, value, source) : 0;
}

static void n_describe(const nqs_model *m, cJSON *sy) {
  const nucleus *n = NUC(m);
  cJSON_AddNumberToObject(sy, "nucleons", n->A);
  cJSON_AddNumberToObject(sy, "protons", n->b.Z);
  cJSON_AddNumberToObject(sy, "lambda_fm-1", n->lec.lambda);
  cJSON_AddNumberToObject(sy, "C1_MeV", n->lec.c1);
  cJSON_AddNumberToObject(sy, "C2_MeV", n->lec.c2);
  cJSON_AddNumberToObject(sy, "D0_MeV", n->lec.d0);
  cJSON_AddBoolToObject(sy, "coulomb", n->coulomb);
  cJSON_AddNumberToObject(sy, "hbar2_over_m_MeV_fm2", n->hm);
  cJSON_AddNumberToObject(sy, "spin_isospin_states", n->nb);
  cJSON_AddBoolToObject(sy, "context", n->context);
  cJSON_AddStringToObject(sy, "jastrow_layers", n->c.nucleus.jastrow_layers);
  cJSON_AddStringToObject(sy, "spin_layers", n->c.nucleus.spin_layers);
  cJSON_AddStringToObject(sy, "triplet_layers", n->triplet ? n->c.nucleus.triplet_layers : "none");
}

double nqs_nucleus_amplitudes(const nqs_model *m, const double *x, double *psi) {
  const nucleus *n = NUC(m);
  nstate s;
  double *work = malloc(sizeof(double) * (size_t)n->ws);
  if (!work) return NAN;
  evaluate(n, m->params, x, &s, 0, work);
  free(work);
  const double F = exp(s.logpsi - 0.5 * log(s.norm));
  for (int k = 0; k < n->nb; k++) psi[k] = F * s.chi[k];
  return s.logpsi;
}

const nqs_spin_isospin *nqs_nucleus_basis(const nqs_model *m) { return &NUC(m)->b; }

static const nqs_option own_options[] = {
    {"nucleus", "nucleons", NQS_K_INT, NQS_OPTION_FIELD(nucleus.nucleons), "4", 2, NQS_NUC_MAXA, 0, NULL,
     "mass number A (2H: 2, 3H and 3He: 3, 4He: 4)"},
    {"nucleus", "protons", NQS_K_INT, NQS_OPTION_FIELD(nucleus.protons), "2", 0, 2, 0, NULL, "Z (at most 2 protons and 2 neutrons)"},
    {"nucleus", "cutoff", NQS_K_CHOICE, NQS_OPTION_FIELD(nucleus.cutoff), "4", 0, 0, 0, "2|4|6|custom",
     "regulator Lambda in fm^-1 with its published C1, C2, D0; custom: lambda, C1, C2, D0 below"},
    {"nucleus", "lambda", NQS_K_REAL, NQS_OPTION_FIELD(nucleus.lambda), "4", 0, 100, 1, NULL, "cutoff = custom: Lambda (fm^-1)"},
    {"nucleus", "C1", NQS_K_REAL, NQS_OPTION_FIELD(nucleus.C1), "-487.6128", -1e6, 1e6, 0, NULL, "cutoff = custom: C1 (MeV)"},
    {"nucleus", "C2", NQS_K_REAL, NQS_OPTION_FIELD(nucleus.C2), "-17.5515", -1e6, 1e6, 0, NULL, "cutoff = custom: C2 (MeV)"},
    {"nucleus", "D0", NQS_K_REAL, NQS_OPTION_FIELD(nucleus.D0), "677.7989", -1e6, 1e6, 0, NULL, "cutoff = custom: D0 (MeV)"},
    {"nucleus", "coulomb", NQS_K_CHOICE, NQS_OPTION_FIELD(nucleus.coulomb), "no", 0, 0, 0, "yes|no",
     "the Coulomb repulsion e^2/r between protons"},
    {"nucleus", "context", NQS_K_CHOICE, NQS_OPTION_FIELD(nucleus.context), "no", 0, 0, 0, "yes|no",
     "second inputs: J and u see each pair's environment (the mean square distance of its nucleons from the others), t its base pair's r_ij^2"},
    {"nucleus", "jastrow_layers", NQS_K_STRING, NQS_OPTION_FIELD(nucleus.jastrow_layers), "16, 16", 0, 0, 0, NULL,
     "hidden widths of the pair network J(r) in f(r) = J(r) - a r^2/(1 + b r) (tanh)"},
    {"nucleus", "spin_layers", NQS_K_STRING, NQS_OPTION_FIELD(nucleus.spin_layers), "16", 0, 0, 0, NULL,
     "hidden widths of u(r) in the spin correlator 1 + sum u(r_ij) sigma_i.sigma_j, or none"},
    {"nucleus", "triplet_layers", NQS_K_STRING, NQS_OPTION_FIELD(nucleus.triplet_layers), "16", 0, 0, 0, NULL,
     "hidden widths of t(s) in the three-body correlator sum_{triples, apex k} t(r_ik^2 + r_jk^2), or none (A >= 3)"},
    {"nucleus", "confine_a", NQS_K_REAL, NQS_OPTION_FIELD(nucleus.confine_a), "0.1", 0, 100, 1, NULL,
     "initial a (fm^-2) of the confining pair term a r^2/(1 + b r)"},
    {"nucleus", "confine_b", NQS_K_REAL, NQS_OPTION_FIELD(nucleus.confine_b), "0.5", 0, 100, 0, NULL,
     "initial b (fm^-1): the tail of ln Psi falls as (a/b) r"},
    {0}};

const nqs_model_type nqs_model_nucleus = {
    .name = "nucleus",
    .help = "light nucleus (A <= 4) of [nucleus], pionless EFT at leading order, spin-isospin summed exactly",
    .options = own_options,
    .create = n_create,
    .free = n_free,
    .walker_new = n_walker_new,
    .walker_free = n_walker_free,
    .walker_rng = n_rng,
    .walker_coords = n_coords,
    .walker_start = n_start,
    .walker_init = n_init,
    .walker_finite = n_finite,
    .sweep = n_sweep,
    .local = n_local,
    .dlogpsi = n_dlogpsi,
    .dlogpsi_force = n_dlogpsi_force,
    .params_changed = n_changed,
    .param_name = n_name,
    .obs_create = n_obs_create,
    .obs_measure = n_obs_measure,
    .obs_reduce = n_obs_reduce,
    .obs_write = n_obs_write,
    .obs_json = n_obs_json,
    .obs_free = n_obs_free,
    .reference = n_reference,
    .lower_bound = n_lower_bound,
    .describe = n_describe,
};
