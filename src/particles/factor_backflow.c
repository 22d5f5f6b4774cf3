/* factor_backflow.c — Slater determinants at backflow (quasi-particle) coordinates.
 *
 *   x~_i = x_i + sum_{j != i} eta(r_ij, s_ij) (x_i - x_j),    s_ij = 1 for like spins, else 0
 *   ln|f| = ln|det P(x~_up)| + ln|det P(x~_down)| - g a/2 sum_i r_i^2
 *
 * P_j are the oscillator polynomials of the Slater factor (orbitals.h), a = alpha omega; the
 * Gaussian stays at the bare positions (it is a symmetric one-body Jastrow: it binds, and it
 * leaves the nodes to the determinants). eta is a small pair network NN(r, s) (nqs_mlp);
 * exchanging two like-spin particles exchanges their x~ and hence two rows, so f stays
 * antisymmetric, and the nodes move with eta (Feynman & Cohen, Phys. Rev. 102, 1189 (1956);
 * Kwon, Ceperley & Martin, PRB 48, 12037 (1993); neural eta as in Luo & Clark,
 * PRL 122, 226401 (2019)). The network's output layer starts at exactly zero, so a new
 * backflow factor is the Slater factor, number for number.
 *
 * Derivatives by forward propagation of (value, Jacobian, Laplacian) through the two stages.
 * Stage 1, the backflow map, with Delta = x_i - x_j, r = |Delta|, eta' = d eta / dr:
 *   J_{ia,jb} = d x~_ia / d x_jb = -(eta_ij delta_ab + eta'_ij Delta_a Delta_b / r_ij)        (j != i)
 *   J_{ia,ib} = delta_ab (1 + sum_j eta_ij) + sum_j eta'_ij Delta_a Delta_b / r_ij
 *   L_ia = lap x~_ia = 2 sum_j Delta_a (eta''_ij + (d + 1) eta'_ij / r_ij)
 * eta, eta', eta'' come from one forward-mode pass of the pair network along r.
 * Stage 2, a determinant of rows A_ij = P_j(x~_i), with Phi_a = d_a P, H_ab = d_a d_b P at x~:
 *   F_a = Phi_a A^-1 (n x n),  Fd_a[i] = F_a[i][i],  Hd_ab[i] = (H_ab A^-1)[i][i]
 *   d_mu ln det = sum_ia J_{ia,mu} Fd_a[i]
 *   lap ln det  = sum_i sum_ab Hd_ab[i] K_{ia,ib} + sum_ia Fd_a[i] L_ia
 *                 - sum_{i,l} sum_ab K_{ia,lb} F_a[i][l] F_b[l][i],        K = J J^T
 * (Jacobi's formula twice: lap ln det = sum_mu tr(A^-1 d2_mu A) - tr((A^-1 d_mu A)^2)).
 * The cost is O(N^2 d^2) for J, O(n^3 d) for F and O((n d)^2 N d) for K per spin; the memory
 * O((N d)^2) per walker, independent of the network's width.
 * Parameter derivatives: O_alpha = sum_ia x~_ia Fd_a[i] / (2 alpha) - g omega/2 sum r^2 (the
 * orbitals' scale, as in the Slater factor), and for the network
 *   O_theta = sum_{i<j} c_ij d eta(r_ij, s_ij) / d theta,  c_ij = sum_a (Fd_a[i] - Fd_a[j]) Delta_a
 * in one weighted back-propagation over the pairs.
 * Moves: a move of one particle changes every x~, hence every row: propose rebuilds the
 * determinants (O(n^3), no Sherman-Morrison), reusing all pair values but the moved row.
 *
 * Generalised orbitals (backflow_orbitals = widths; off by default): every orbital also depends
 * on its particle's environment through a second network g,
 *   A_ik = P_k(x~_i) (1 + g(x~_i, x_i, q_k)),    q_k = orbital k's quantum numbers,
 * one scalar network for all orbitals, told which orbital by q_k (FermiNet-like: x~_i is a
 * permutation-equivariant feature of particle i and the rest, so exchanging two like-spin
 * particles still exchanges two rows). The derivation above holds with the row features
 * y_i = (x~_i, x_i) (D = 2d of them) in place of x~_i: J^y stacks J over the identity, lap y =
 * (L, 0), and the row functions' gradients and Hessians in y come from P's and from g's
 * (forward-mode passes along y's unit vectors and their pairwise sums). O_k of g by one
 * weighted back-propagation over the (i, k) items with c_ik = (A^-1)[k][i] P_k(x~_i). g's
 * output layer starts at zero: the factor starts as plain backflow. */
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/memory.h"
#include "nqs/core/rng.h"
#include "nqs/nn/mlp.h"
#include "nqs/particles/factor.h"
#include "orbitals.h"

#define BATCH 64
#define MAXDET 16 /* determinants in the sum (backflow_determinants) */

typedef struct {
  nqs_ho_orbitals orb;
  nqs_mlp net;
  nqs_mlp gnet; /* generalised orbitals: g(x~, x, q[, e_kappa]) (gen = 1) */
  int gen, D;   /* D = row features per particle: d, or 2d with gen */
  int K, gin;   /* determinants in the sum; inputs of g (3d, plus K one-hot with K > 1) */
  double g;  /* 1: the factor carries the Gaussian; 0: another factor does */
  int N, n;  /* particles, particles per spin */
  int ws;    /* doubles of network workspace (either network) */
  size_t state, work; /* doubles of one state and of the work area */
} bf_priv;

/* One state: everything at one configuration.
 *   xs N*d | eta N*N | e1 N*N | e2 N*N | xt N*d | T K*2*n*n | ld K | sd K | rk K | logf 1 | sign 1
 *   | gv K*N*n (gen: g of determinant kappa, particle i, orbital k at ((kappa N + i) n + k))
 * T of determinant kappa, spin s: T[i][j] = (A^-1)[j][i] (the Slater factor's layout); ld, sd:
 * ln|D_up D_down| and its sign per determinant; rk = D_kappa / sum_kappa D_kappa, the weight of
 * determinant kappa in every derivative. The cache holds the current state, the proposed state,
 * then the work area. */
typedef struct {
  double *xs, *eta, *e1, *e2, *xt, *T, *ld, *sd, *rk, *logf, *sign, *gv;
} bstate;

static size_t state_size(const bf_priv *P, int d) {
  const size_t N = P->N, n = P->n, K = P->K;
  return 2 * N * d + 3 * N * N + K * (2 * n * n + 3) + 2 + (P->gen ? K * N * n : 0);
}

static bstate state_view(const bf_priv *P, int d, double *c) {
  const size_t N = P->N, n = P->n, K = P->K;
  bstate s;
  s.xs = c;
  s.eta = c + N * d;
  s.e1 = s.eta + N * N;
  s.e2 = s.e1 + N * N;
  s.xt = s.e2 + N * N;
  s.T = s.xt + N * d;
  s.ld = s.T + K * 2 * n * n;
  s.sd = s.ld + K;
  s.rk = s.sd + K;
  s.logf = s.rk + K;
  s.sign = s.logf + 1;
  s.gv = s.sign + 1;
  return s;
}

/* T of determinant kd and spin block sp */
static double *Tb(const bf_priv *P, const bstate *s, int kd, int sp) {
  return s->T + ((size_t)kd * 2 + sp) * P->n * P->n;
}

/* Work area (D row features per particle, M = N d coordinates):
 *   lu n*n | ipiv n | X gin BATCH | Y 3 BATCH | C BATCH | phi N*n | dphi N*n*D | hphi N*n*D*D
 *   | F D*n*n | Fd K*N*D | J M*M | L M | Kj (n D)^2 | Jy N*D*M | Ly N*D | dg K*N*n*D | hg K*N*n*D*D
 *   | gk M | gs M | net work
 * (Jy, Ly, dg, hg only with gen; without it D = d and Jy, Ly are J, L. Fd's first N*D hold the
 * weighted sum over determinants, or in the Laplacian pass determinant kappa's at kappa N D.) */
typedef struct {
  double *lu, *ipiv, *X, *Y, *C, *phi, *dphi, *hphi, *F, *Fd, *J, *L, *Kj, *Jy, *Ly, *dg, *hg, *gk, *gs, *net;
} bwork;

static bwork work_view(const bf_priv *P, int d, double *c) {
  const size_t N = P->N, n = P->n, D = P->D, M = N * (size_t)d, G = P->gen, K = P->K;
  bwork w;
  w.lu = c;
  w.ipiv = w.lu + n * n;
  w.X = w.ipiv + n;
  w.Y = w.X + (size_t)P->gin * BATCH;
  w.C = w.Y + 3 * BATCH;
  w.phi = w.C + BATCH;
  w.dphi = w.phi + N * n;
  w.hphi = w.dphi + N * n * D;
  w.F = w.hphi + N * n * D * D;
  w.Fd = w.F + D * n * n;
  w.J = w.Fd + K * N * D;
  w.L = w.J + M * M;
  w.Kj = w.L + M;
  w.Jy = G ? w.Kj + n * D * n * D : w.J;
  w.Ly = G ? w.Jy + N * D * M : w.L;
  w.dg = w.Kj + n * D * n * D + G * (N * D * M + N * D);
  w.hg = w.dg + G * K * N * n * D;
  w.gk = w.hg + G * K * N * n * D * D;
  w.gs = w.gk + M;
  w.net = w.gs + M;
  return w;
}

static size_t work_size(const bf_priv *P, int d) {
  const size_t N = P->N, n = P->n, D = P->D, M = N * (size_t)d, G = P->gen, K = P->K;
  return n * n + n + ((size_t)P->gin + 5) * BATCH + N * n * (1 + D + D * D) + D * n * n + K * N * D + M * M + M +
         n * D * n * D + G * (N * D * M + N * D + K * N * n * (D + D * D)) + 2 * M + (size_t)P->ws;
}

static size_t b_cache_size(const nqs_factor *f) {
  const bf_priv *P = f->priv;
  return sizeof(double) * (2 * P->state + P->work);
}

static double *cur_c(const bf_priv *P, const void *cache) { return (double *)cache; }
static double *new_c(const bf_priv *P, const void *cache) { return (double *)cache + P->state; }
static double *work_c(const bf_priv *P, const void *cache) { return (double *)cache + 2 * P->state; }

static double same_spin(const bf_priv *P, int i, int j) { return (i < P->n) == (j < P->n) ? 1.0 : 0.0; }

static double dist(const double *a, const double *b, int d) {
  double r2 = 0;
  for (int k = 0; k < d; k++) r2 += (a[k] - b[k]) * (a[k] - b[k]);
  return sqrt(r2);
}

/* eta, eta', eta'' of the pairs (pi[t], pj[t]), t < B, into the state's tables. */
static void eta_batch(const bf_priv *P, const double *th, int d, const int *pi, const int *pj, int B, bstate *s,
                      bwork *w) {
  static const double dir[2] = {1.0, 0.0}; /* d/dr */
  const int N = P->N;
  for (int t = 0; t < B; t++) {
    w->X[t] = dist(s->xs + pi[t] * d, s->xs + pj[t] * d, d);
    w->X[B + t] = same_spin(P, pi[t], pj[t]);
  }
  nqs_mlp_forward_batch(&P->net, th, B, w->X, dir, w->Y, w->Y + B, w->Y + 2 * B, w->net);
  for (int t = 0; t < B; t++) {
    const int i = pi[t], j = pj[t];
    s->eta[i * N + j] = s->eta[j * N + i] = w->Y[t];
    s->e1[i * N + j] = s->e1[j * N + i] = w->Y[B + t];
    s->e2[i * N + j] = s->e2[j * N + i] = w->Y[2 * B + t];
  }
}

/* The generalised orbitals' network over the items t = (kappa N + i) n + k (determinant kappa,
 * particle i, orbital k) from t0, B of them: inputs (x~_i, x_i, q_k[, e_kappa]) in w->X (gin rows
 * of B; the one-hot e_kappa only with more than one determinant). */
static void g_inputs(const bf_priv *P, int d, const bstate *s, int t0, int B, bwork *w) {
  const int n = P->n, N = P->N;
  for (int t = 0; t < B; t++) {
    const int it = t0 + t, kd = it / (N * n), i = (it / n) % N, k = it % n;
    for (int a = 0; a < d; a++) {
      w->X[(size_t)a * B + t] = s->xt[i * d + a];
      w->X[(size_t)(d + a) * B + t] = s->xs[i * d + a];
      w->X[(size_t)(2 * d + a) * B + t] = P->orb.qn[k][a];
    }
    for (int u = 3 * d; u < P->gin; u++) w->X[(size_t)u * B + t] = u - 3 * d == kd ? 1.0 : 0.0;
  }
}

/* g for every determinant, particle and orbital, into s->gv. */
static void g_values(const bf_priv *P, const double *gth, int d, bstate *s, bwork *w) {
  const int items = P->K * P->N * P->n;
  for (int t0 = 0; t0 < items; t0 += BATCH) {
    const int B = items - t0 < BATCH ? items - t0 : BATCH;
    g_inputs(P, d, s, t0, B, w);
    nqs_mlp_forward_batch(&P->gnet, gth, B, w->X, NULL, s->gv + t0, NULL, NULL, w->net);
  }
}

/* dg/dy (w->dg, D per item) and, with hess, d2g/dy dy (w->hg, D*D per item), y = (x~, x): one
 * forward-mode pass per unit vector e_a (first derivative and H_aa) and per e_a + e_b, a < b
 * (H_aa + H_bb + 2 H_ab). */
static void g_derivs(const bf_priv *P, const double *gth, int d, const bstate *s, bwork *w, int hess) {
  const int items = P->K * P->N * P->n, D = P->D;
  double v[3 * NQS_MAX_DIM + MAXDET], y[BATCH], d1[BATCH], d2[BATCH];
  for (int t0 = 0; t0 < items; t0 += BATCH) {
    const int B = items - t0 < BATCH ? items - t0 : BATCH;
    g_inputs(P, d, s, t0, B, w);
    for (int a = 0; a < D; a++)
      for (int b = a; b < (hess ? D : a + 1); b++) {
        memset(v, 0, sizeof v);
        v[a] = 1;
        v[b] = 1;
        nqs_mlp_forward_batch(&P->gnet, gth, B, w->X, v, y, d1, d2, w->net);
        for (int t = 0; t < B; t++) {
          const size_t it = (size_t)(t0 + t);
          if (a == b) {
            w->dg[it * D + a] = d1[t];
            if (hess) w->hg[(it * D + a) * D + a] = d2[t];
          } else {
            w->hg[(it * D + a) * D + b] = d2[t]; /* H_aa + H_bb + 2 H_ab: finished below */
          }
        }
      }
    if (hess)
      for (int t = 0; t < B; t++) {
        double *H = w->hg + (size_t)(t0 + t) * D * D;
        for (int a = 0; a < D; a++)
          for (int b = a + 1; b < D; b++) H[a * D + b] = H[b * D + a] = 0.5 * (H[a * D + b] - H[a * D + a] - H[b * D + b]);
      }
  }
}

/* The rows of particle gi in determinant kd: A_gi,k (w->phi), d/dy (w->dphi, n x D) and, with
 * hess, the Hessians in y (w->hphi, n x D x D). Plain backflow: the orbital polynomials at x~
 * (D = d). With g (its values in s->gv, derivatives from g_derivs): f = P (1 + g). */
static void row_derivs(const bf_priv *P, double a, int d, const bstate *s, bwork *w, int kd, int gi, int hess) {
  const int n = P->n, D = P->D;
  double *phi = w->phi + (size_t)gi * n, *dphi = w->dphi + (size_t)gi * n * D;
  double *hphi = hess ? w->hphi + (size_t)gi * n * D * D : NULL;
  if (!P->gen) {
    nqs_ho_eval(&P->orb, a, s->xt + gi * d, phi, dphi, NULL, hphi);
    return;
  }
  double p[NQS_HO_MAXORB], dp[NQS_HO_MAXORB * NQS_MAX_DIM], hp[NQS_HO_MAXORB * NQS_MAX_DIM * NQS_MAX_DIM];
  nqs_ho_eval(&P->orb, a, s->xt + gi * d, p, dp, NULL, hess ? hp : NULL);
  for (int k = 0; k < n; k++) {
    const size_t it = ((size_t)kd * P->N + gi) * n + k;
    const double g1 = 1.0 + s->gv[it], *dg = w->dg + it * D;
    phi[k] = p[k] * g1;
    for (int u = 0; u < D; u++) {
      const double dpu = u < d ? dp[k * d + u] : 0.0;
      dphi[k * D + u] = dpu * g1 + p[k] * dg[u];
      if (!hess) continue;
      const double *hg = w->hg + it * D * D;
      for (int v = 0; v < D; v++) {
        const double dpv = v < d ? dp[k * d + v] : 0.0, hpuv = u < d && v < d ? hp[(k * d + u) * d + v] : 0.0;
        hphi[(k * D + u) * D + v] = hpuv * g1 + dpu * dg[v] + dg[u] * dpv + p[k] * hg[u * D + v];
      }
    }
  }
}

/* Build state s at its positions s->xs. from == NULL: every pair; otherwise only particle p
 * moved since state `from`, whose other pair values are copied. Returns ln|f| (NaN if a
 * determinant is singular or the sum of determinants vanishes). */
static double build(const bf_priv *P, const double *th, int d, double omega, bstate *s, const bstate *from, int p,
                    bwork *w) {
  const int N = P->N, n = P->n, K = P->K;
  const double a = th[0] * omega, *net = th + 1;
  int pi[BATCH], pj[BATCH], B = 0;
  if (from) {
    memcpy(s->eta, from->eta, sizeof(double) * 3 * (size_t)N * N); /* eta, e1, e2 are contiguous */
    for (int j = 0; j < N; j++) {
      if (j == p) continue;
      pi[B] = p;
      pj[B++] = j;
      if (B == BATCH) {
        eta_batch(P, net, d, pi, pj, B, s, w);
        B = 0;
      }
    }
  } else {
    for (int i = 0; i < N; i++) {
      s->eta[i * N + i] = s->e1[i * N + i] = s->e2[i * N + i] = 0;
      for (int j = i + 1; j < N; j++) {
        pi[B] = i;
        pj[B++] = j;
        if (B == BATCH) {
          eta_batch(P, net, d, pi, pj, B, s, w);
          B = 0;
        }
      }
    }
  }
  if (B) eta_batch(P, net, d, pi, pj, B, s, w);
  double r2 = 0;
  for (int i = 0; i < N; i++) {
    const double *xi = s->xs + i * d;
    double *xt = s->xt + i * d;
    for (int k = 0; k < d; k++) xt[k] = xi[k];
    for (int j = 0; j < N; j++) {
      if (j == i) continue;
      const double e = s->eta[i * N + j];
      for (int k = 0; k < d; k++) xt[k] += e * (xi[k] - s->xs[j * d + k]);
    }
    for (int k = 0; k < d; k++) r2 += xi[k] * xi[k];
  }
  if (P->gen) g_values(P, th + 1 + P->net.nparams, d, s, w);
  /* every determinant's matrices, column-major in T (the orbitals evaluated once per particle) */
  for (int i = 0; i < N; i++) {
    const int sp = i / n, r = i % n;
    nqs_ho_eval(&P->orb, a, s->xt + i * d, w->phi, NULL, NULL, NULL);
    for (int kd = 0; kd < K; kd++) {
      double *T = Tb(P, s, kd, sp);
      for (int j = 0; j < n; j++)
        T[r + j * n] = P->gen ? w->phi[j] * (1.0 + s->gv[((size_t)kd * N + i) * n + j]) : w->phi[j];
    }
  }
  lapack_int *ipiv = (lapack_int *)w->ipiv;
  /* The inverse in place: LU, then dgetri, whose column-major A^-1 read row-major is
   * T[i][j] = A^-1[j][i]. (dgetri rather than dgetrs against the identity: OpenBLAS hands
   * dgetrs to its thread pool even at n = 3, which then spins beside the walkers' threads.) */
  double lmax = -INFINITY;
  for (int kd = 0; kd < K; kd++) {
    double logdet = 0, sign = 1.0;
    for (int sp = 0; sp < 2; sp++) {
      double *T = Tb(P, s, kd, sp);
      lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, n, n, T, n, ipiv);
      if (info != 0) return *s->logf = NAN;
      for (int i = 0; i < n; i++) {
        logdet += log(fabs(T[i + i * n]));
        if ((T[i + i * n] < 0) != (ipiv[i] != i + 1)) sign = -sign; /* U's sign, row swaps */
      }
      info = LAPACKE_dgetri_work(LAPACK_COL_MAJOR, n, T, n, ipiv, w->lu, n * n);
      if (info != 0) return *s->logf = NAN;
    }
    s->ld[kd] = logdet;
    s->sd[kd] = sign;
    if (logdet > lmax) lmax = logdet;
  }
  /* ln|sum_kappa D_kappa| about the largest term; one determinant: exactly its ln|D| */
  double sum = 0;
  for (int kd = 0; kd < K; kd++) sum += s->sd[kd] * exp(s->ld[kd] - lmax);
  if (!(fabs(sum) > 0)) return *s->logf = NAN;
  for (int kd = 0; kd < K; kd++) s->rk[kd] = s->sd[kd] * exp(s->ld[kd] - lmax) / sum;
  *s->sign = sum < 0 ? -1.0 : 1.0;
  return *s->logf = lmax + log(fabs(sum)) - 0.5 * P->g * a * r2;
}

/* Fd_u[i] = sum_kappa rk_kappa sum_j d A^kappa_ij / d y_iu (A^kappa^-1)[j][i] for every particle
 * and row feature (w->Fd, N x D): the gradient of ln|sum D| in the row features, from the rows'
 * gradients (g's from g_derivs). */
static void diag_F(const bf_priv *P, const double *th, double a, int d, const bstate *s, bwork *w) {
  const int N = P->N, n = P->n, D = P->D;
  if (P->gen) g_derivs(P, th + 1 + P->net.nparams, d, s, w, 0);
  for (int kd = 0; kd < P->K; kd++)
    for (int i = 0; i < N; i++) {
      row_derivs(P, a, d, s, w, kd, i, 0);
      const double *dphi = w->dphi + (size_t)i * n * D, *Ti = Tb(P, s, kd, i / n) + (i % n) * n;
      for (int k = 0; k < D; k++) {
        double v = 0;
        for (int j = 0; j < n; j++) v += dphi[j * D + k] * Ti[j];
        w->Fd[i * D + k] = kd ? w->Fd[i * D + k] + s->rk[kd] * v : s->rk[kd] * v;
      }
    }
}

/* ADD d ln|det| / d x_p (through the backflow Jacobian's column p) to g[d]. */
static void grad_particle(const bf_priv *P, int d, const bstate *s, const bwork *w, int p, double *g) {
  const int N = P->N, Df = P->D;
  const double *xp = s->xs + p * d, *Fp = w->Fd + p * Df;
  double se = 0;
  for (int j = 0; j < N; j++) {
    if (j == p) continue;
    double D[NQS_MAX_DIM], r2 = 0, DFp = 0, DFj = 0;
    const double *Fj = w->Fd + j * Df;
    for (int k = 0; k < d; k++) {
      D[k] = xp[k] - s->xs[j * d + k];
      r2 += D[k] * D[k];
      DFp += D[k] * Fp[k];
      DFj += D[k] * Fj[k];
    }
    const double e = s->eta[p * N + j], q = s->e1[p * N + j] / sqrt(r2);
    se += e;
    /* own row: + q D_b (D . Fd[p]); row j: -(e Fd_b[j] + q D_b (D . Fd[j])) (D flips sign twice) */
    for (int k = 0; k < d; k++) g[k] += q * D[k] * (DFp - DFj) - e * Fj[k];
  }
  for (int k = 0; k < d; k++) g[k] += (1.0 + se) * Fp[k] + (P->gen ? Fp[d + k] : 0.0); /* y's x part: identity */
}

static double b_init(const nqs_factor *f, const double *th, const double *x, void *cache) {
  const bf_priv *P = f->priv;
  const int d = f->sys.dim;
  bstate s = state_view(P, d, cur_c(P, cache));
  bwork w = work_view(P, d, work_c(P, cache));
  memcpy(s.xs, x, sizeof(double) * (size_t)P->N * d);
  return build(P, th, d, f->sys.omega, &s, NULL, 0, &w);
}

static double b_propose(const nqs_factor *f, const double *th, const double *x, void *cache, int p, const double *xp,
                        double *grad_new) {
  const bf_priv *P = f->priv;
  const int d = f->sys.dim;
  bstate s0 = state_view(P, d, cur_c(P, cache)), s1 = state_view(P, d, new_c(P, cache));
  bwork w = work_view(P, d, work_c(P, cache));
  memcpy(s1.xs, x, sizeof(double) * (size_t)P->N * d);
  for (int k = 0; k < d; k++) s1.xs[p * d + k] = xp[k];
  const double lf = build(P, th, d, f->sys.omega, &s1, &s0, p, &w);
  if (grad_new && isfinite(lf)) {
    const double a = th[0] * f->sys.omega;
    diag_F(P, th, a, d, &s1, &w);
    grad_particle(P, d, &s1, &w, p, grad_new);
    for (int k = 0; k < d; k++) grad_new[k] -= P->g * a * xp[k];
  }
  return lf - *s0.logf;
}

static void b_accept(const nqs_factor *f, const double *th, const double *x, void *cache, int p, const double *xp) {
  const bf_priv *P = f->priv;
  memcpy(cur_c(P, cache), new_c(P, cache), sizeof(double) * P->state);
}

static void b_grad_p(const nqs_factor *f, const double *th, const double *x, const void *cache, int p, double *g) {
  const bf_priv *P = f->priv;
  const int d = f->sys.dim;
  const double a = th[0] * f->sys.omega;
  bstate s = state_view(P, d, cur_c(P, cache));
  bwork w = work_view(P, d, work_c(P, cache));
  diag_F(P, th, a, d, &s, &w);
  grad_particle(P, d, &s, &w, p, g);
  for (int k = 0; k < d; k++) g[k] -= P->g * a * x[p * d + k];
}

/* The backflow Jacobian J (M x M, M = N d, row-major, row ia = i*d + a) and L = lap x~. */
static void jacobian(const bf_priv *P, int d, const bstate *s, double *J, double *L) {
  const int N = P->N, M = N * d;
  memset(J, 0, sizeof(double) * (size_t)M * M);
  memset(L, 0, sizeof(double) * (size_t)M);
  for (int i = 0; i < M; i++) J[(size_t)i * M + i] = 1.0;
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++) {
      double D[NQS_MAX_DIM], r2 = 0;
      for (int k = 0; k < d; k++) {
        D[k] = s->xs[i * d + k] - s->xs[j * d + k];
        r2 += D[k] * D[k];
      }
      const double r = sqrt(r2), e = s->eta[i * N + j], q = s->e1[i * N + j] / r;
      const double c = 2.0 * (s->e2[i * N + j] + (d + 1) * q);
      for (int a = 0; a < d; a++) {
        L[i * d + a] += c * D[a];
        L[j * d + a] -= c * D[a];
        for (int b = 0; b < d; b++) {
          const double m = (a == b ? e : 0.0) + q * D[a] * D[b];
          J[(size_t)(i * d + a) * M + i * d + b] += m;
          J[(size_t)(j * d + a) * M + j * d + b] += m;
          J[(size_t)(i * d + a) * M + j * d + b] -= m;
          J[(size_t)(j * d + a) * M + i * d + b] -= m;
        }
      }
    }
}

/* With generalised orbitals, the row features y_i = (x~_i, x_i): J^y stacks J's rows of particle i
 * over the identity rows of x_i, and lap y = (L, 0). */
static void jacobian_y(const bf_priv *P, int d, bwork *w) {
  const int N = P->N, M = N * d, D = P->D;
  memset(w->Jy, 0, sizeof(double) * (size_t)N * D * M);
  for (int i = 0; i < N; i++)
    for (int u = 0; u < d; u++) {
      memcpy(w->Jy + (size_t)(i * D + u) * M, w->J + (size_t)(i * d + u) * M, sizeof(double) * M);
      w->Jy[(size_t)(i * D + d + u) * M + i * d + u] = 1.0;
      w->Ly[i * D + u] = w->L[i * d + u];
      w->Ly[i * D + d + u] = 0.0;
    }
}

static void b_grad_lap(const nqs_factor *f, const double *th, const double *x, const void *cache, double *g,
                       double *lap) {
  const bf_priv *P = f->priv;
  const int N = P->N, n = P->n, d = f->sys.dim, M = N * d, D = P->D, nD = n * D, K = P->K;
  const double a = th[0] * f->sys.omega;
  bstate s = state_view(P, d, cur_c(P, cache));
  bwork w = work_view(P, d, work_c(P, cache));
  jacobian(P, d, &s, w.J, w.L);
  if (P->gen) {
    jacobian_y(P, d, &w);
    g_derivs(P, th + 1 + P->net.nparams, d, &s, &w, 1);
  }
  double Lk[MAXDET] = {0}; /* lap ln|D_kappa| */
  for (int sp = 0; sp < 2; sp++) {
    /* K = J_s J_s^T over the block's n D rows, shared by the determinants (plain loops: OpenBLAS
     * would start its thread pool for these small products, from inside the walkers' OpenMP loop) */
    const double *Js = w.Jy + (size_t)sp * nD * M;
    for (int r = 0; r < nD; r++)
      for (int c = r; c < nD; c++) {
        const double *jr = Js + (size_t)r * M, *jc = Js + (size_t)c * M;
        double v = 0;
        for (int mu = 0; mu < M; mu++) v += jr[mu] * jc[mu];
        w.Kj[(size_t)r * nD + c] = w.Kj[(size_t)c * nD + r] = v;
      }
    for (int kd = 0; kd < K; kd++) {
      const double *T = Tb(P, &s, kd, sp);
      double *Fd = w.Fd + (size_t)kd * N * D;
      /* the block's rows, their gradients and Hessians in the row features */
      for (int i = 0; i < n; i++) row_derivs(P, a, d, &s, &w, kd, sp * n + i, 1);
      /* F_u[i][l] = sum_j Phi_u[i][j] T[l][j], stored F[(u n + i) n + l] */
      double *F = w.F;
      for (int ka = 0; ka < D; ka++)
        for (int i = 0; i < n; i++) {
          const double *dp = w.dphi + (size_t)(sp * n + i) * n * D;
          for (int l = 0; l < n; l++) {
            const double *Tl = T + l * n;
            double v = 0;
            for (int j = 0; j < n; j++) v += dp[j * D + ka] * Tl[j];
            F[((size_t)ka * n + i) * n + l] = v;
          }
          Fd[(sp * n + i) * D + ka] = F[((size_t)ka * n + i) * n + i];
        }
      double Ls = Lk[kd];
      for (int i = 0; i < n; i++) {
        const int gi = sp * n + i;
        const double *Ti = T + i * n, *hp = w.hphi + (size_t)gi * n * D * D;
        for (int ka = 0; ka < D; ka++) {
          for (int kb = 0; kb < D; kb++) {
            double hd = 0;
            for (int j = 0; j < n; j++) hd += hp[(j * D + ka) * D + kb] * Ti[j];
            Ls += hd * w.Kj[(size_t)(i * D + ka) * nD + i * D + kb];
          }
          Ls += Fd[gi * D + ka] * w.Ly[gi * D + ka];
        }
        for (int l = 0; l < n; l++)
          for (int ka = 0; ka < D; ka++)
            for (int kb = 0; kb < D; kb++)
              Ls -= w.Kj[(size_t)(i * D + ka) * nD + l * D + kb] * F[((size_t)ka * n + i) * n + l] *
                    F[((size_t)kb * n + l) * n + i];
      }
      Lk[kd] = Ls;
    }
  }
  /* gradient of determinant kappa: g_mu = sum_iu J^y_{iu,mu} Fd_u[i] */
  double Lsum;
  if (K == 1) {
    for (int ia = 0; ia < N * D; ia++) {
      const double *Jr = w.Jy + (size_t)ia * M, fd = w.Fd[ia];
      for (int mu = 0; mu < M; mu++) g[mu] += Jr[mu] * fd;
    }
    Lsum = Lk[0];
  } else {
    /* W = sum D_kappa: grad W / W = sum rk g_kappa, lap W / W = sum rk (lap ln|D_kappa| + |g_kappa|^2),
     * lap ln|W| = lap W / W - |grad ln|W||^2 */
    double Q = 0, G2 = 0;
    memset(w.gs, 0, sizeof(double) * (size_t)M);
    for (int kd = 0; kd < K; kd++) {
      memset(w.gk, 0, sizeof(double) * (size_t)M);
      for (int ia = 0; ia < N * D; ia++) {
        const double *Jr = w.Jy + (size_t)ia * M, fd = w.Fd[(size_t)kd * N * D + ia];
        for (int mu = 0; mu < M; mu++) w.gk[mu] += Jr[mu] * fd;
      }
      double g2 = 0;
      for (int mu = 0; mu < M; mu++) {
        g2 += w.gk[mu] * w.gk[mu];
        w.gs[mu] += s.rk[kd] * w.gk[mu];
      }
      Q += s.rk[kd] * (Lk[kd] + g2);
    }
    for (int mu = 0; mu < M; mu++) {
      g[mu] += w.gs[mu];
      G2 += w.gs[mu] * w.gs[mu];
    }
    Lsum = Q - G2;
  }
  for (int mu = 0; mu < M; mu++) g[mu] -= P->g * a * x[mu];
  *lap += Lsum - P->g * a * M;
}

/* O_alpha with generalised orbitals: sum_kappa rk sum_ik (A^-1)[k][i] (1 + g_ik) (x~_i . grad P_k(x~_i)) / (2 alpha). */
static double dalpha_gen(const bf_priv *P, double a, int d, const bstate *s) {
  const int n = P->n, K = P->K;
  double part[MAXDET] = {0}, p[NQS_HO_MAXORB], dp[NQS_HO_MAXORB * NQS_MAX_DIM];
  for (int i = 0; i < P->N; i++) {
    nqs_ho_eval(&P->orb, a, s->xt + i * d, p, dp, NULL, NULL);
    for (int kd = 0; kd < K; kd++) {
      const double *Ti = Tb(P, s, kd, i / n) + (i % n) * n;
      for (int k = 0; k < n; k++) {
        double xg = 0;
        for (int u = 0; u < d; u++) xg += s->xt[i * d + u] * dp[k * d + u];
        part[kd] += Ti[k] * (1.0 + s->gv[((size_t)kd * P->N + i) * n + k]) * xg;
      }
    }
  }
  double sum = 0;
  for (int kd = 0; kd < K; kd++) sum += s->rk[kd] * part[kd];
  return sum;
}

/* ADD O of g's parameters: sum over items (kappa, i, k) of rk (A^-1)[k][i] P_k(x~_i) dg/dtheta. */
static void dparams_g(const bf_priv *P, const double *gth, double a, int d, const bstate *s, bwork *w, double *o) {
  const int n = P->n, N = P->N, items = P->K * N * n;
  double p[NQS_HO_MAXORB];
  int last = -1; /* the particle whose polynomials p holds (items run particle by particle) */
  for (int t0 = 0; t0 < items; t0 += BATCH) {
    const int B = items - t0 < BATCH ? items - t0 : BATCH;
    for (int t = 0; t < B; t++) {
      const int it = t0 + t, kd = it / (N * n), i = (it / n) % N, k = it % n;
      if (i != last) nqs_ho_eval(&P->orb, a, s->xt + i * d, p, NULL, NULL, NULL);
      last = i;
      w->C[t] = s->rk[kd] * Tb(P, s, kd, i / n)[(i % n) * n + k] * p[k];
    }
    g_inputs(P, d, s, t0, B, w);
    nqs_mlp_backward_batch(&P->gnet, gth, B, w->X, w->C, o, w->net);
  }
}

static void b_dparams(const nqs_factor *f, const double *th, const double *x, const void *cache, double *o) {
  const bf_priv *P = f->priv;
  const int N = P->N, d = f->sys.dim;
  const double alpha = th[0], a = alpha * f->sys.omega;
  bstate s = state_view(P, d, cur_c(P, cache));
  bwork w = work_view(P, d, work_c(P, cache));
  const int Df = P->D;
  diag_F(P, th, a, d, &s, &w);
  double xf = 0, r2 = 0;
  for (int m = 0; m < N * d; m++) {
    if (!P->gen) xf += s.xt[m] * w.Fd[m];
    r2 += x[m] * x[m];
  }
  if (P->gen) xf = dalpha_gen(P, a, d, &s);
  o[0] = xf / (2.0 * alpha) - 0.5 * P->g * f->sys.omega * r2;
  double *on = o + 1;
  memset(on, 0, sizeof(double) * (P->net.nparams + (P->gen ? P->gnet.nparams : 0)));
  if (P->gen) dparams_g(P, th + 1 + P->net.nparams, a, d, &s, &w, on + P->net.nparams);
  int B = 0;
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++) {
      double r = 0, c = 0;
      for (int k = 0; k < d; k++) {
        const double D = x[i * d + k] - x[j * d + k];
        r += D * D;
        c += (w.Fd[i * Df + k] - w.Fd[j * Df + k]) * D;
      }
      w.X[B] = sqrt(r);
      w.X[BATCH + B] = same_spin(P, i, j);
      w.C[B++] = c;
      if (B == BATCH || (i == N - 2 && j == N - 1)) {
        /* the batch layout wants the flag row right after the B distances */
        memmove(w.X + B, w.X + BATCH, sizeof(double) * (size_t)B);
        nqs_mlp_backward_batch(&P->net, th + 1, B, w.X, w.C, on, w.net);
        B = 0;
      }
    }
}

static double b_sign(const nqs_factor *f, const void *cache) {
  const bf_priv *P = f->priv;
  return *state_view(P, f->sys.dim, cur_c(P, cache)).sign;
}

static void b_free(nqs_factor *f) { free(f->priv); }

static nqs_factor *b_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err);

static const nqs_option own_options[] = {
    {"wavefunction", "backflow_layers", NQS_K_STRING, NQS_OPTION_FIELD(wavefunction.backflow_layers), "16", 0, 0, 0,
     NULL, "hidden-layer widths of the backflow pair network eta(r, like-spin), comma list (tanh)"},
    {"wavefunction", "backflow_orbitals", NQS_K_STRING, NQS_OPTION_FIELD(wavefunction.backflow_orbitals), "none", 0, 0,
     0, NULL, "generalised orbitals P_k(x~_i)(1 + g(x~_i, x_i, q_k)): none, or the hidden widths of g (tanh)"},
    {"wavefunction", "determinants", NQS_K_INT, NQS_OPTION_FIELD(wavefunction.determinants), "1", 1, MAXDET, 0, NULL,
     "backflow determinants in the sum, each with its own generalised orbitals (g also sees a one-hot kappa)"},
    {0}};

const nqs_factor_type nqs_factor_backflow = {
    .name = "backflow",
    .help = "Slater determinants of oscillator orbitals at backflow coordinates x_i + sum_j eta(r_ij)(x_i - x_j), "
            "eta a pair network",
    .binds = 1,
    .fermionic = 1,
    .create = b_create,
    .cache_size = b_cache_size,
    .init = b_init,
    .propose = b_propose,
    .accept = b_accept,
    .grad_p = b_grad_p,
    .grad_lap = b_grad_lap,
    .dparams = b_dparams,
    .sign = b_sign,
    .free_priv = b_free,
    .options = own_options};

/* A network's slice of theta0 from offset `at`: hidden W ~ N(0, 1/fan_in), biases and the output
 * layer zero (so the network's output starts at exactly 0); names "<prefix>W0[o,i]", "<prefix>b0[o]". */
static void init_net(nqs_factor *f, const nqs_mlp *m, int at, const char *prefix, nqs_rng *rng) {
  nqs_mlp_init_zero_output(m, f->theta0 + at, rng);
  for (int k = 0; k < m->nparams; k++) nqs_mlp_param_name(m, k, prefix, f->param_names[at + k], NQS_PARAM_NAME);
}

static nqs_factor *b_create(const nqs_system *sys, const nqs_factor_options *o, nqs_error *err) {
  if (sys->statistics != NQS_FERMIONS) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors", "factor 'backflow' needs statistics = fermions");
    return NULL;
  }
  if (!(o->alpha > 0)) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.alpha", "alpha = %g: the orbital scale must be > 0", o->alpha);
    return NULL;
  }
  if (o->bf_nhidden < 0) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.backflow_layers",
                   "backflow_layers: give a comma list of 1 to 7 widths, each 1..4096 (e.g. 16, 16)");
    return NULL;
  }
  bf_priv *P = calloc(1, sizeof *P);
  if (!P) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory creating the backflow factor");
    return NULL;
  }
  if (nqs_ho_orbitals_init(&P->orb, sys->dim, sys->n_up) || sys->n != 2 * sys->n_up) {
    free(P);
    nqs_error_setk(err, NQS_EINPUT, "system.particles",
                   "factor 'backflow': %d particles per spin do not fill closed shells of at most %d orbitals",
                   sys->n_up, NQS_HO_MAXORB);
    return NULL;
  }
  if (o->bfo_nhidden < 0) {
    free(P);
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.backflow_orbitals",
                   "backflow_orbitals: give none, or a comma list of 1 to 7 widths, each 1..4096 (e.g. 16)");
    return NULL;
  }
  P->K = o->bf_ndet > 0 ? o->bf_ndet : 1;
  if (P->K > MAXDET || (P->K > 1 && o->bfo_nhidden == 0)) {
    if (P->K > MAXDET)
      nqs_error_setk(err, NQS_EINPUT, "wavefunction.determinants", "determinants = %d: at most %d", P->K, MAXDET);
    else
      nqs_error_setk(err, NQS_EINPUT, "wavefunction.determinants",
                     "determinants = %d needs generalised orbitals (with plain backflow every determinant is the "
                     "same): set backflow_orbitals (e.g. 16), or determinants = 1", P->K);
    free(P);
    return NULL;
  }
  P->gin = 3 * sys->dim + (P->K > 1 ? P->K : 0);
  if (nqs_mlp_init(&P->net, 2, o->bf_hidden, o->bf_nhidden, NQS_ACT_TANH, err) ||
      (o->bfo_nhidden > 0 && nqs_mlp_init(&P->gnet, P->gin, o->bfo_hidden, o->bfo_nhidden, NQS_ACT_TANH, err))) {
    free(P);
    return NULL;
  }
  P->N = sys->n;
  P->n = sys->n_up;
  P->gen = o->bfo_nhidden > 0;
  P->D = P->gen ? 2 * sys->dim : sys->dim;
  P->g = o->slater_bare ? 0.0 : 1.0;
  P->ws = nqs_mlp_batch_work_size(&P->net, BATCH);
  if (P->gen && nqs_mlp_batch_work_size(&P->gnet, BATCH) > P->ws) P->ws = nqs_mlp_batch_work_size(&P->gnet, BATCH);
  P->state = state_size(P, sys->dim);
  P->work = work_size(P, sys->dim);
  const int np = 1 + P->net.nparams + (P->gen ? P->gnet.nparams : 0);
  char what[96];
  snprintf(what, sizeof what, "a backflow factor of %d parameters for %d particles", np, sys->n);
  const double bytes = (double)np * nqs_memory_per_param(o->walkers) +
                       (double)o->walkers * sizeof(double) * (2.0 * P->state + P->work);
  if (nqs_memory_check(bytes, o->memory_limit, "wavefunction.backflow_layers", what, "use a narrower network", err)) {
    free(P);
    return NULL;
  }
  nqs_factor *f = nqs_factor_alloc(&nqs_factor_backflow, sys, np);
  if (!f) {
    free(P);
    nqs_error_set(err, NQS_ENOMEM, "out of memory for the backflow parameters");
    return NULL;
  }
  f->priv = P;
  snprintf(f->param_names[0], NQS_PARAM_NAME, "alpha");
  f->theta0[0] = o->alpha;
  f->lower[0] = 1e-6;
  /* Hidden layers: W ~ N(0, 1/fan_in); the output layer is zero, so eta = 0: the
   * factor starts as the plain Slater determinant. */
  nqs_rng rng;
  nqs_rng_seed(&rng, o->seed, 0xBAC4F1011ull);
  init_net(f, &P->net, 1, "", &rng);
  if (P->gen) { /* g = 0 as well: the factor starts as plain backflow */
    nqs_rng_seed(&rng, o->seed, 0x0B1A7A15ull);
    init_net(f, &P->gnet, 1 + P->net.nparams, "g", &rng);
  }
  return f;
}
