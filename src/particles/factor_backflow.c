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
 * determinants (O(n^3), no Sherman-Morrison), reusing all pair values but the moved row. */
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

typedef struct {
  nqs_ho_orbitals orb;
  nqs_mlp net;
  double g;  /* 1: the factor carries the Gaussian; 0: another factor does */
  int N, n;  /* particles, particles per spin */
  int ws;    /* doubles of network workspace */
  size_t state, work; /* doubles of one state and of the work area */
} bf_priv;

/* One state: everything at one configuration.
 *   xs N*d | eta N*N | e1 N*N | e2 N*N | xt N*d | T 2*n*n | logf 1 | sign 1
 * T[s][i][j] = (A_s^-1)[j][i] (the Slater factor's layout). The cache holds the current state,
 * the proposed state, then the work area. */
typedef struct {
  double *xs, *eta, *e1, *e2, *xt, *T[2], *logf, *sign;
} bstate;

static size_t state_size(int N, int n, int d) {
  return (size_t)2 * N * d + (size_t)3 * N * N + (size_t)2 * n * n + 2;
}

static bstate state_view(const bf_priv *P, int d, double *c) {
  const size_t N = P->N, n = P->n;
  bstate s;
  s.xs = c;
  s.eta = c + N * d;
  s.e1 = s.eta + N * N;
  s.e2 = s.e1 + N * N;
  s.xt = s.e2 + N * N;
  s.T[0] = s.xt + N * d;
  s.T[1] = s.T[0] + n * n;
  s.logf = s.T[1] + n * n;
  s.sign = s.logf + 1;
  return s;
}

/* Work area: lu n*n | ipiv n | X 2 BATCH | Y 3 BATCH | C BATCH | phi N*n | dphi N*n*d | hphi N*n*d*d
 *            | F 2*d*n*n | Fd N*d | J (N d)^2 | L N*d | K (n d)^2 | net work */
typedef struct {
  double *lu, *ipiv, *X, *Y, *C, *phi, *dphi, *hphi, *F, *Fd, *J, *L, *K, *net;
} bwork;

static bwork work_view(const bf_priv *P, int d, double *c) {
  const size_t N = P->N, n = P->n, D = d, M = N * D;
  bwork w;
  w.lu = c;
  w.ipiv = w.lu + n * n;
  w.X = w.ipiv + n;
  w.Y = w.X + 2 * BATCH;
  w.C = w.Y + 3 * BATCH;
  w.phi = w.C + BATCH;
  w.dphi = w.phi + N * n;
  w.hphi = w.dphi + N * n * D;
  w.F = w.hphi + N * n * D * D;
  w.Fd = w.F + 2 * D * n * n;
  w.J = w.Fd + M;
  w.L = w.J + M * M;
  w.K = w.L + M;
  w.net = w.K + n * D * n * D;
  return w;
}

static size_t work_size(int N, int n, int d, int ws) {
  const size_t M = (size_t)N * d;
  return (size_t)n * n + n + 6 * BATCH + (size_t)N * n * (1 + d + d * d) + (size_t)2 * d * n * n + M + M * M + M +
         (size_t)n * d * n * d + (size_t)ws;
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

/* Build state s at its positions s->xs. from == NULL: every pair; otherwise only particle p
 * moved since state `from`, whose other pair values are copied. Returns ln|f| (NaN if singular). */
static double build(const bf_priv *P, const double *th, int d, double omega, bstate *s, const bstate *from, int p,
                    bwork *w) {
  const int N = P->N, n = P->n;
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
  double logdet = 0;
  *s->sign = 1.0;
  lapack_int *ipiv = (lapack_int *)w->ipiv;
  /* The inverse in place: A column-major in T, LU, then dgetri, whose column-major A^-1 read
   * row-major is T[i][j] = A^-1[j][i]. (dgetri rather than dgetrs against the identity: OpenBLAS
   * hands dgetrs to its thread pool even at n = 3, which then spins beside the walkers' threads.) */
  for (int sp = 0; sp < 2; sp++) {
    double *T = s->T[sp];
    for (int i = 0; i < n; i++) {
      nqs_ho_eval(&P->orb, a, s->xt + (sp * n + i) * d, w->phi, NULL, NULL, NULL);
      for (int j = 0; j < n; j++) T[i + j * n] = w->phi[j];
    }
    lapack_int info = LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, n, n, T, n, ipiv);
    if (info != 0) return *s->logf = NAN;
    for (int i = 0; i < n; i++) {
      logdet += log(fabs(T[i + i * n]));
      if ((T[i + i * n] < 0) != (ipiv[i] != i + 1)) *s->sign = -*s->sign; /* U's sign, row swaps */
    }
    info = LAPACKE_dgetri_work(LAPACK_COL_MAJOR, n, T, n, ipiv, w->lu, n * n);
    if (info != 0) return *s->logf = NAN;
  }
  return *s->logf = logdet - 0.5 * P->g * a * r2;
}

/* Fd_a[i] = sum_j d_a P_j(x~_i) (A^-1)[j][i] for every particle (w->Fd), from the orbital
 * gradients (left in w->dphi). */
static void diag_F(const bf_priv *P, double a, int d, const bstate *s, bwork *w) {
  const int N = P->N, n = P->n;
  for (int i = 0; i < N; i++) {
    double *dphi = w->dphi + (size_t)i * n * d;
    nqs_ho_eval(&P->orb, a, s->xt + i * d, w->phi + (size_t)i * n, dphi, NULL, NULL);
    const double *Ti = s->T[i / n] + (i % n) * n;
    for (int k = 0; k < d; k++) {
      double v = 0;
      for (int j = 0; j < n; j++) v += dphi[j * d + k] * Ti[j];
      w->Fd[i * d + k] = v;
    }
  }
}

/* ADD d ln|det| / d x_p (through the backflow Jacobian's column p) to g[d]. */
static void grad_particle(const bf_priv *P, int d, const bstate *s, const bwork *w, int p, double *g) {
  const int N = P->N;
  const double *xp = s->xs + p * d, *Fp = w->Fd + p * d;
  double se = 0;
  for (int j = 0; j < N; j++) {
    if (j == p) continue;
    double D[NQS_MAX_DIM], r2 = 0, DFp = 0, DFj = 0;
    const double *Fj = w->Fd + j * d;
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
  for (int k = 0; k < d; k++) g[k] += (1.0 + se) * Fp[k];
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
    diag_F(P, a, d, &s1, &w);
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
  diag_F(P, a, d, &s, &w);
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

static void b_grad_lap(const nqs_factor *f, const double *th, const double *x, const void *cache, double *g,
                       double *lap) {
  const bf_priv *P = f->priv;
  const int N = P->N, n = P->n, d = f->sys.dim, M = N * d, nd = n * d;
  const double a = th[0] * f->sys.omega;
  bstate s = state_view(P, d, cur_c(P, cache));
  bwork w = work_view(P, d, work_c(P, cache));
  jacobian(P, d, &s, w.J, w.L);
  double Lsum = 0;
  for (int sp = 0; sp < 2; sp++) {
    const double *T = s.T[sp];
    /* orbitals, gradients, Hessians at the block's x~ */
    for (int i = 0; i < n; i++) {
      const int gi = sp * n + i;
      nqs_ho_eval(&P->orb, a, s.xt + gi * d, w.phi + (size_t)gi * n, w.dphi + (size_t)gi * n * d, NULL,
                  w.hphi + (size_t)gi * n * d * d);
    }
    /* F_a[i][l] = sum_j Phi_a[i][j] T[l][j], stored F[(a n + i) n + l] */
    double *F = w.F + (size_t)sp * d * n * n;
    for (int ka = 0; ka < d; ka++)
      for (int i = 0; i < n; i++) {
        const double *dp = w.dphi + (size_t)(sp * n + i) * n * d;
        for (int l = 0; l < n; l++) {
          const double *Tl = T + l * n;
          double v = 0;
          for (int j = 0; j < n; j++) v += dp[j * d + ka] * Tl[j];
          F[((size_t)ka * n + i) * n + l] = v;
        }
        w.Fd[(sp * n + i) * d + ka] = F[((size_t)ka * n + i) * n + i];
      }
    /* K = J_s J_s^T over the block's n d rows (plain loops: OpenBLAS would start its thread
     * pool for these small products, from inside the walkers' OpenMP loop) */
    const double *Js = w.J + (size_t)sp * nd * M;
    for (int r = 0; r < nd; r++)
      for (int c = r; c < nd; c++) {
        const double *jr = Js + (size_t)r * M, *jc = Js + (size_t)c * M;
        double v = 0;
        for (int mu = 0; mu < M; mu++) v += jr[mu] * jc[mu];
        w.K[(size_t)r * nd + c] = w.K[(size_t)c * nd + r] = v;
      }
    for (int i = 0; i < n; i++) {
      const int gi = sp * n + i;
      const double *Ti = T + i * n, *hp = w.hphi + (size_t)gi * n * d * d;
      for (int ka = 0; ka < d; ka++) {
        for (int kb = 0; kb < d; kb++) {
          double hd = 0;
          for (int j = 0; j < n; j++) hd += hp[(j * d + ka) * d + kb] * Ti[j];
          Lsum += hd * w.K[(size_t)(i * d + ka) * nd + i * d + kb];
        }
        Lsum += w.Fd[gi * d + ka] * w.L[gi * d + ka];
      }
      for (int l = 0; l < n; l++)
        for (int ka = 0; ka < d; ka++)
          for (int kb = 0; kb < d; kb++)
            Lsum -= w.K[(size_t)(i * d + ka) * nd + l * d + kb] * F[((size_t)ka * n + i) * n + l] *
                    F[((size_t)kb * n + l) * n + i];
    }
  }
  /* gradient: g_mu += sum_ia J_{ia,mu} Fd_a[i] */
  for (int ia = 0; ia < M; ia++) {
    const double *Jr = w.J + (size_t)ia * M, fd = w.Fd[ia];
    for (int mu = 0; mu < M; mu++) g[mu] += Jr[mu] * fd;
  }
  for (int mu = 0; mu < M; mu++) g[mu] -= P->g * a * x[mu];
  *lap += Lsum - P->g * a * M;
}

static void b_dparams(const nqs_factor *f, const double *th, const double *x, const void *cache, double *o) {
  const bf_priv *P = f->priv;
  const int N = P->N, d = f->sys.dim;
  const double alpha = th[0], a = alpha * f->sys.omega;
  bstate s = state_view(P, d, cur_c(P, cache));
  bwork w = work_view(P, d, work_c(P, cache));
  diag_F(P, a, d, &s, &w);
  double xf = 0, r2 = 0;
  for (int m = 0; m < N * d; m++) {
    xf += s.xt[m] * w.Fd[m];
    r2 += x[m] * x[m];
  }
  o[0] = xf / (2.0 * alpha) - 0.5 * P->g * f->sys.omega * r2;
  double *on = o + 1;
  memset(on, 0, sizeof(double) * P->net.nparams);
  int B = 0;
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++) {
      double r = 0, c = 0;
      for (int k = 0; k < d; k++) {
        const double D = x[i * d + k] - x[j * d + k];
        r += D * D;
        c += (w.Fd[i * d + k] - w.Fd[j * d + k]) * D;
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
  if (nqs_mlp_init(&P->net, 2, o->bf_hidden, o->bf_nhidden, NQS_ACT_TANH, err)) {
    free(P);
    return NULL;
  }
  P->N = sys->n;
  P->n = sys->n_up;
  P->g = o->slater_bare ? 0.0 : 1.0;
  P->ws = nqs_mlp_batch_work_size(&P->net, BATCH);
  P->state = state_size(P->N, P->n, sys->dim);
  P->work = work_size(P->N, P->n, sys->dim, P->ws);
  char what[96];
  snprintf(what, sizeof what, "a backflow factor of %d parameters for %d particles", P->net.nparams + 1, sys->n);
  const double bytes = (double)P->net.nparams * nqs_memory_per_param(o->walkers) +
                       (double)o->walkers * sizeof(double) * (2.0 * P->state + P->work);
  if (nqs_memory_check(bytes, o->memory_limit, "wavefunction.backflow_layers", what, "use a narrower network", err)) {
    free(P);
    return NULL;
  }
  nqs_factor *f = nqs_factor_alloc(&nqs_factor_backflow, sys, 1 + P->net.nparams);
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
  const nqs_mlp *m = &P->net;
  for (int l = 0; l < m->nlayers; l++) {
    const int in = m->w[l], out = m->w[l + 1];
    for (int k = 0; k < out * in; k++) {
      const int idx = 1 + m->off[l] + k;
      f->theta0[idx] = l == m->nlayers - 1 ? 0.0 : nqs_rng_normal(&rng) / sqrt((double)in);
      snprintf(f->param_names[idx], NQS_PARAM_NAME, "W%d[%d,%d]", l, k / in, k % in);
    }
    for (int k = 0; k < out; k++) {
      const int idx = 1 + m->off[l] + out * in + k;
      snprintf(f->param_names[idx], NQS_PARAM_NAME, "b%d[%d]", l, k);
    }
  }
  return f;
}
