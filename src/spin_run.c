/* spin_run.c — variational Monte Carlo of lattice spin models with an RBM (nqs/spin.h):
 * many Markov chains over OpenMP threads, SR / Adam / SGD, blocking error bars, a run
 * folder (config.ini, log.jsonl, energy.csv, result.json, correlations.csv: spin-spin
 * correlations against the displacement, measured in the evaluation) and the exact energy beside
 * the result when it is known (free fermions, Lanczos up to 20 sites, the Bethe-ansatz
 * energy of the periodic Heisenberg chain of 40 sites), checkpoints (nqs/checkpoint.h: the
 * free parameters, the optimiser, every chain's spins and RNG), restarts and `nqs evaluate`.
 * Chains split over MPI ranks as in nqs/comm.h: per-chain numbers are written at their global
 * places and summed over ranks, so every rank solves the same SR problem and the results do
 * not depend on the split; rank 0 alone writes files. */
#include <complex.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/checkpoint.h"
#include "nqs/optimizer.h"
#include "nqs/spin.h"
#include "nqs/sr.h"
#include "nqs/stats.h"
#include "run_internal.h"

typedef struct {
  const nqs_spin_system *sys;
  nqs_spin_psi *rbm;
  nqs_spin_walker *w;     /* this rank's walkers: global indices w0 .. w0 + nloc - 1 */
  int nw, threads;        /* nw: all walkers, over every rank */
  int w0, nloc;
  const nqs_comm *comm;   /* MPI ranks (NULL: one process) */
  const int *sublattice;  /* Marshall sign rule: the two sublattices (NULL: off) */
  int stride;             /* doubles per O vector: nparams, or 2 nparams for complex weights */
  int side, dim;          /* lattice side L and dimension, for the correlations (dim 0: an edge list) */
  double *corr;           /* per walker: nsites sums of s_x s_{x+d} over x for each displacement d, or
                           * (edge lists) nsites^2 sums of s_i s_j; NULL: off */
  double *el, *eli, *O, *wmean; /* Re E_L (samples), Im E_L (complex weights), samples x stride, sweeps x 2 */
} chains;

/* Add walker i's s_x s_{x+d} summed over sites x, for every displacement d = (dx, dy)
 * (d index dx + L dy; displacements wrap around the lattice). */
static size_t corr_len(const chains *ch) { return (size_t)ch->sys->nsites * (ch->dim ? 1 : (size_t)ch->sys->nsites); }

static void accumulate_corr(chains *ch, int i) { /* i: local walker, stored at its global place */
  const int L = ch->side, n = ch->sys->nsites, ny = ch->dim == 2 ? L : 1;
  const double *s = ch->w[i].s;
  double *c = ch->corr + (size_t)(ch->w0 + i) * corr_len(ch);
  if (ch->dim == 0) { /* a graph without geometry: every pair i < j */
    for (int a = 0; a < n; a++)
      for (int b = a + 1; b < n; b++) c[(size_t)a * n + b] += s[a] * s[b];
    return;
  }
  for (int dy = 0; dy < ny; dy++)
    for (int dx = 0; dx < L; dx++) {
      double sum = 0;
      for (int y = 0; y < ny; y++)
        for (int x = 0; x < L; x++) sum += s[y * L + x] * s[((y + dy) % ny) * L + (x + dx) % L];
      c[dy * L + dx] += sum;
    }
}

/* mean over walkers of entry k of the per-walker sums, divided by norm, and its standard error */
static void corr_entry(const chains *ch, size_t k, double norm, double *mean, double *error) {
  const int W = ch->nw;
  double m = 0, m2 = 0;
  for (int w = 0; w < W; w++) {
    const double v = ch->corr[(size_t)w * corr_len(ch) + k] / norm;
    m += v;
    m2 += v * v;
  }
  m /= W;
  *mean = m;
  *error = W > 1 ? sqrt(fmax(m2 / W - m * m, 0) / (W - 1)) : NAN;
}

/* correlations.csv: C(d) = (1/n) sum_x <s_x s_{x+d}> with the standard error over walkers; for an
 * edge list, <s_i s_j> for every pair i < j. */
static nqs_status write_corr(const chains *ch, long sweeps, const char *dir, const char *name, nqs_error *err) {
  const int n = ch->sys->nsites, L = ch->side;
  char path[600];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return nqs_error_set(err, NQS_EIO, "cannot write %s", path);
  double m, e;
  if (ch->dim == 0) {
    fprintf(f, "i,j,C,error\n");
    for (int a = 0; a < n; a++)
      for (int b = a + 1; b < n; b++) {
        corr_entry(ch, (size_t)a * n + b, (double)sweeps, &m, &e);
        fprintf(f, "%d,%d,%.10g,%.3g\n", a, b, m, e);
      }
  } else {
    fprintf(f, "dx,dy,C,error\n");
    for (int d = 0; d < n; d++) {
      corr_entry(ch, (size_t)d, (double)sweeps * n, &m, &e);
      fprintf(f, "%d,%d,%.10g,%.3g\n", d % L, d / L, m, e);
    }
  }
  return fclose(f) ? nqs_error_set(err, NQS_EIO, "cannot finish %s", path) : NQS_OK;
}

/* sweeps per walker: one sample per sweep; with O != NULL also the O vectors. */
static nqs_status sample(chains *ch, long sweeps, int with_o, nqs_estimate *e, double *acc, nqs_error *err) {
  const int nw = ch->nw, stride = ch->stride, ranks = nqs_comm_size(ch->comm) > 1;
  const long ns = sweeps * nw;
  long a = 0;
  int bad = 0;
  if (ranks) { /* every rank fills its walkers' places; the sums over ranks fill the rest exactly */
    memset(ch->el, 0, sizeof(double) * (size_t)ns);
    if (ch->eli) memset(ch->eli, 0, sizeof(double) * (size_t)ns);
    if (with_o) memset(ch->O, 0, sizeof(double) * (size_t)ns * stride);
  }
#pragma omp parallel for schedule(static) num_threads(ch->threads) reduction(+ : a, bad)
  for (int i = 0; i < ch->nloc; i++)
    for (long t = 0; t < sweeps; t++) {
      a += nqs_spin_sweep(ch->sys, ch->rbm, &ch->w[i]);
      const long idx = t * nw + ch->w0 + i;
      const double complex el = nqs_spin_local_energy(ch->sys, ch->rbm, &ch->w[i], ch->sublattice);
      ch->el[idx] = creal(el);
      if (ch->eli) ch->eli[idx] = cimag(el);
      if (!isfinite(creal(el)) || !isfinite(cimag(el))) bad++;
      if (with_o) nqs_spin_dlogpsi(ch->rbm, &ch->w[i], ch->O + (size_t)idx * stride);
      if (ch->corr) accumulate_corr(ch, i);
    }
  if (ranks) {
    double ab[2] = {(double)a, (double)bad};
    nqs_status st = nqs_comm_sum(ch->comm, ab, 2, err);
    if (!st) st = nqs_comm_sum(ch->comm, ch->el, ns, err);
    if (!st && ch->eli) st = nqs_comm_sum(ch->comm, ch->eli, ns, err);
    if (!st && with_o) st = nqs_comm_sum(ch->comm, ch->O, ns * stride, err);
    if (st) return st;
    a = (long)ab[0];
    bad = (int)ab[1];
  }
  if (bad) return nqs_error_set(err, NQS_ERUNTIME, "non-finite local energy: lower [optimizer] learning_rate");
  for (long t = 0; t < sweeps; t++) {
    double s = 0;
    for (int i = 0; i < nw; i++) s += ch->el[t * nw + i];
    ch->wmean[t] = s / nw;
  }
  *e = nqs_blocking(ch->wmean, sweeps, ch->wmean + sweeps);
  double var = 0;
  for (long k = 0; k < ns; k++) var += (ch->el[k] - e->mean) * (ch->el[k] - e->mean);
  e->variance = var / ns;
  e->n = ns;
  *acc = (double)a / ((double)ns * ch->sys->nsites);
  return NQS_OK;
}

/* Complex weights, as 2 np real parameters (Re, Im): with D = (O, i O) the SR matrix is
 * S_ab = Re <D_a* D_b>_c and the force F_a = Re <D_a* E_L>_c. Two real rows per sample,
 * [Re O_c, -Im O_c] and [Im O_c, Re O_c], with energies Re e_c and Im e_c, give exactly these
 * sums; centring first makes nqs_sr_solve's own centring a no-op, and its 1/(2 ns)
 * normalisation halves S and F alike (so the shift is halved to match). delta: 2 np, (Re | Im). */
static nqs_status sr_complex(const chains *ch, long ns, const nqs_sr_options *so, double *delta, nqs_error *err) {
  const int np = ch->rbm->nfree, P = 2 * np;
  const double complex *O = (const double complex *)ch->O;
  double *R = malloc(sizeof(double) * (size_t)(2 * ns) * P), *e = malloc(sizeof(double) * (size_t)(2 * ns));
  double complex *mean = calloc((size_t)np, sizeof(double complex));
  if (!R || !e || !mean) {
    free(R);
    free(e);
    free(mean);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for complex SR (%ld samples, %d parameters)", ns, np);
  }
  double complex em = 0;
  for (long q = 0; q < ns; q++) {
    em += ch->el[q] + I * ch->eli[q];
    for (int k = 0; k < np; k++) mean[k] += O[(size_t)q * np + k];
  }
  em /= ns;
  for (int k = 0; k < np; k++) mean[k] /= ns;
  for (long q = 0; q < ns; q++) {
    double *r1 = R + (size_t)(2 * q) * P, *r2 = r1 + P;
    for (int k = 0; k < np; k++) {
      const double complex oc = O[(size_t)q * np + k] - mean[k];
      r1[k] = creal(oc);
      r1[np + k] = -cimag(oc);
      r2[k] = cimag(oc);
      r2[np + k] = creal(oc);
    }
    const double complex ec = ch->el[q] + I * ch->eli[q] - em;
    e[2 * q] = creal(ec);
    e[2 * q + 1] = cimag(ec);
  }
  nqs_sr_options half = *so;
  half.diag_shift = 0.5 * so->diag_shift;
  nqs_sr_info info;
  nqs_status st = nqs_sr_solve(R, e, 2 * ns, P, &half, delta, &info, err);
  free(R);
  free(e);
  free(mean);
  return st;
}

/* What the optimisation carries from one iteration to the next (with the parameters and chains). */
typedef struct {
  long it; /* completed iterations */
  int have_prev;
  double prev_mean, prev_var, prev_err, lr_scale, diag_shift;
  double *prev;      /* nr: free parameters before the last step */
  double *opt_state; /* opt_len */
  int opt_len;
} spin_loop;

/* Free-parameter names for the checkpoint: a[i] b[j] W[i][j], or a b[f] w[f][d] (symmetric);
 * complex weights: re(...) and im(...) of each. */
static char *param_names(const nqs_spin_psi *r) {
  const int n = r->n, nr = r->cplx ? 2 * r->nfree : r->nfree, alpha = r->H / n;
  char *names = malloc((size_t)nr * 48 + 1), *p = names;
  if (!names) return NULL;
  *p = 0;
  for (int q = 0; q < nr; q++) {
    const int k = r->cplx ? q / 2 : q;
    char one[40];
    if (r->ffnn) {
      const nqs_mlp *m = &r->mlp;
      int l = m->nlayers - 1;
      while (l > 0 && k < m->off[l]) l--;
      const int in = m->w[l], out = m->w[l + 1], kk = k - m->off[l];
      if (kk < out * in) snprintf(one, sizeof one, "W%d[%d,%d]", l, kk / in, kk % in);
      else snprintf(one, sizeof one, "b%d[%d]", l, kk - out * in);
    } else if (r->tie) {
      if (k == 0) snprintf(one, sizeof one, "a");
      else if (k <= alpha) snprintf(one, sizeof one, "b[%d]", k - 1);
      else snprintf(one, sizeof one, "w[%d][%d]", (k - 1 - alpha) / n, (k - 1 - alpha) % n);
    } else {
      if (k < n) snprintf(one, sizeof one, "a[%d]", k);
      else if (k < n + r->H) snprintf(one, sizeof one, "b[%d]", k - n);
      else snprintf(one, sizeof one, "W[%d][%d]", (k - n - r->H) / r->H, (k - n - r->H) % r->H);
    }
    p += sprintf(p, "%s%s%s%s", q ? "," : "", r->cplx ? (q % 2 ? "im(" : "re(") : "", one, r->cplx ? ")" : "");
  }
  return names;
}

static nqs_status save_checkpoint(const nqs_config *c, const chains *ch, const spin_loop *ls, const char *dir, nqs_error *err) {
  const nqs_spin_psi *r = ch->rbm;
  const int nr = r->cplx ? 2 * r->nfree : r->nfree, n = r->n;
  nqs_checkpoint ck;
  nqs_status st = nqs_checkpoint_alloc(&ck, nr, ls->opt_len, ch->nw, n, err);
  if (st) return st;
  ck.iteration = ls->it;
  ck.lr_scale = ls->lr_scale;
  ck.diag_shift = ls->diag_shift;
  ck.have_prev = ls->have_prev;
  ck.prev_mean = ls->prev_mean;
  ck.prev_var = ls->prev_var;
  ck.prev_err = ls->prev_err;
  memcpy(ck.params, r->fparams, sizeof(double) * nr);
  memcpy(ck.prev_params, ls->prev, sizeof(double) * nr);
  if (ls->opt_len) memcpy(ck.opt_state, ls->opt_state, sizeof(double) * ls->opt_len);
  /* every rank writes its chains at their global places (zero elsewhere); the sums give rank 0 all */
  double *spare = calloc((size_t)ch->nw * 2, sizeof(double));
  if (!spare) st = nqs_error_set(err, NQS_ENOMEM, "out of memory writing a checkpoint");
  for (int i = 0; !st && i < ch->nloc; i++) {
    const int g = ch->w0 + i;
    memcpy(ck.x + (size_t)g * n, ch->w[i].s, sizeof(double) * n);
    memcpy(ck.rng + (size_t)g * 4, ch->w[i].rng.s, sizeof(uint64_t) * 4);
    spare[2 * g] = ch->w[i].rng.spare;
    spare[2 * g + 1] = ch->w[i].rng.has_spare;
  }
  if (!st) st = nqs_comm_sum(ch->comm, ck.x, (long)ch->nw * n, err);
  if (!st) st = nqs_comm_sum_u64(ch->comm, ck.rng, (long)ch->nw * 4, err);
  if (!st) st = nqs_comm_sum(ch->comm, spare, 2L * ch->nw, err);
  for (int g = 0; !st && g < ch->nw; g++) {
    ck.rng_spare[g] = spare[2 * g];
    ck.rng_has_spare[g] = (int32_t)spare[2 * g + 1];
  }
  free(spare);
  if (!st && nqs_comm_rank(ch->comm) == 0) { /* rank 0 alone writes */
    ck.config = nqs_run_config_text(c);
    ck.param_names = param_names(r);
    st = ck.config && ck.param_names ? nqs_checkpoint_write(dir, &ck, err)
                                     : nqs_error_set(err, NQS_ENOMEM, "out of memory writing a checkpoint");
  }
  nqs_checkpoint_free(&ck);
  return nqs_comm_agree(ch->comm, st, err);
}

/* Put a checkpoint back: sizes must match; spins must be +-1. */
static nqs_status restore(const nqs_checkpoint *ck, chains *ch, spin_loop *ls, nqs_error *err) {
  nqs_spin_psi *r = ch->rbm;
  const int nr = r->cplx ? 2 * r->nfree : r->nfree, n = r->n;
  if (ck->np != nr || ck->nwalkers != ch->nw || ck->nx != n || ck->opt_len != ls->opt_len)
    return nqs_error_set(err, NQS_EINPUT,
                         "the checkpoint holds %d parameters, %d chains of %d spins and %d optimiser values, but this "
                         "configuration needs %d, %d, %d and %d: the lattice, the RBM, the walkers and the optimiser "
                         "method cannot change on restart",
                         ck->np, ck->nwalkers, ck->nx, ck->opt_len, nr, ch->nw, n, ls->opt_len);
  for (long k = 0; k < (long)ch->nw * n; k++)
    if (ck->x[k] != 1.0 && ck->x[k] != -1.0)
      return nqs_error_set(err, NQS_EINPUT, "the checkpoint's spin %ld is %g, not +-1: not a lattice checkpoint", k, ck->x[k]);
  ls->it = ck->iteration;
  ls->lr_scale = ck->lr_scale;
  ls->diag_shift = ck->diag_shift;
  ls->have_prev = ck->have_prev;
  ls->prev_mean = ck->prev_mean;
  ls->prev_var = ck->prev_var;
  ls->prev_err = ck->prev_err;
  memcpy(r->fparams, ck->params, sizeof(double) * nr);
  memcpy(ls->prev, ck->prev_params, sizeof(double) * nr);
  if (ls->opt_len) memcpy(ls->opt_state, ck->opt_state, sizeof(double) * ls->opt_len);
  for (int i = 0; i < ch->nloc; i++) { /* this rank's chains */
    const int g = ch->w0 + i;
    memcpy(ch->w[i].s, ck->x + (size_t)g * n, sizeof(double) * n);
    memcpy(ch->w[i].rng.s, ck->rng + (size_t)g * 4, sizeof(uint64_t) * 4);
    ch->w[i].rng.spare = ck->rng_spare[g];
    ch->w[i].rng.has_spare = ck->rng_has_spare[g];
  }
  return NQS_OK;
}

/* after a parameter change: expand the free parameters, recompute every walker's angles */
static void reinit(chains *ch) {
  nqs_spin_psi_sync(ch->rbm);
  for (int i = 0; i < ch->nloc; i++) nqs_spin_walker_init(ch->rbm, &ch->w[i]);
}

nqs_status nqs_spin_run(const nqs_config *c, const nqs_run_options *o, nqs_run_result *res, nqs_error *err) {
  const nqs_comm *comm = o ? o->comm : NULL;
  const int root = nqs_comm_rank(comm) == 0;
  if (c->sampler.walkers < nqs_comm_size(comm))
    return nqs_error_setk(err, NQS_EINPUT, "sampler.walkers", "walkers = %d: need at least 1 per MPI rank", c->sampler.walkers);
  const nqs_checkpoint *ck = o ? o->restart : NULL;
  const int eval_only = o && o->evaluate_only;
  if (eval_only && !ck) return nqs_error_set(err, NQS_EINPUT, "evaluation of a trained state needs its checkpoint");
  const double t0 = nqs_run_now();
  nqs_spin_system sys;
  nqs_status st = nqs_config_spin_system(c, &sys, err);
  if (st) return st;
  const int n = sys.nsites, nw = c->sampler.walkers, heis = sys.model == NQS_MODEL_HEISENBERG;
  const int marshall = heis && strcmp(c->lattice.marshall, "yes") == 0;
  int *sublattice = marshall ? malloc(sizeof(int) * (size_t)n) : NULL;
  if (marshall && (!sublattice || !nqs_spin_bipartite(&sys, sublattice))) {
    free(sublattice);
    nqs_spin_system_free(&sys);
    return nqs_error_setk(err, NQS_EINPUT, "lattice.marshall",
                          "the Marshall sign rule needs a bipartite lattice (even length when periodic); set marshall = no");
  }
  if (heis && n % 2) {
    free(sublattice);
    nqs_spin_system_free(&sys);
    return nqs_error_setk(err, NQS_EINPUT, "lattice.length", "heisenberg runs sample at zero magnetisation: need an even number of sites");
  }
  /* config.ini at once for a fresh run; a restart keeps the folder as it is until the checkpoint
   * fits. Rank 0 alone touches the file system; every rank learns whether it worked. */
  if (root) {
    if (!(st = nqs_run_make_dir(c, ck != NULL, res->dir, sizeof res->dir, err)) && !ck) st = nqs_run_write_config(c, res->dir, err);
  } else
    snprintf(res->dir, sizeof res->dir, "%s", c->output.dir);
  if ((st = nqs_comm_agree(comm, st, err))) {
    free(sublattice);
    nqs_spin_system_free(&sys);
    return st;
  }
  nqs_spin_psi rbm;
  chains ch = {.sys = &sys, .rbm = &rbm, .nw = nw, .sublattice = sublattice, .comm = comm,
               .threads = c->run.threads > 0 ? c->run.threads : omp_get_max_threads()};
  nqs_comm_walkers(comm, nw, &ch.w0, &ch.nloc);
  FILE *log = NULL, *csv = NULL;
  double *delta = NULL;
  spin_loop ls = {.lr_scale = 1, .diag_shift = c->optimizer.diag_shift};
  const long sweeps_opt = (c->optimizer.samples + nw - 1) / nw, sweeps_eval = (c->evaluation.samples + nw - 1) / nw;
  const long maxs = sweeps_opt > sweeps_eval ? sweeps_opt : sweeps_eval;
  const int cplx = strcmp(c->lattice.weights, "complex") == 0;
  const nqs_factor_options fo = nqs_config_factor_options(c); /* the network's layers and activation */
  if (strcmp(c->lattice.ansatz, "ffnn") == 0)
    st = nqs_spin_ffnn_init(&rbm, n, fo.ffnn_hidden, fo.ffnn_nhidden, (nqs_activation)fo.ffnn_activation,
                            c->wavefunction.init_std, c->run.seed, err);
  else if (strcmp(c->lattice.symmetry, "translation") == 0)
    st = nqs_spin_rbm_init_translation(&rbm, &sys, c->lattice.alpha, cplx, c->wavefunction.init_std, c->run.seed, err);
  else
    st = nqs_spin_rbm_init(&rbm, n, c->lattice.alpha * n, cplx, c->wavefunction.init_std, c->run.seed, err);
  if (st) goto out;
  const int np = rbm.nfree, nr = cplx ? 2 * np : np; /* nr: real numbers among the free parameters */
  double *theta = rbm.fparams;                         /* (Re, Im) interleaved when complex */
  if (o && o->init_params) { /* a warm start (nqs sweep) */
    if (o->init_nparams != nr) {
      st = nqs_error_set(err, NQS_EINPUT, "a warm start gives %d parameters, but this RBM has %d", o->init_nparams, nr);
      goto out;
    }
    memcpy(theta, o->init_params, sizeof(double) * nr);
  }
  ch.stride = nr;
  ch.w = calloc((size_t)nw, sizeof *ch.w);
  ch.el = malloc(sizeof(double) * (size_t)(maxs * nw));
  ch.eli = cplx ? malloc(sizeof(double) * (size_t)(maxs * nw)) : NULL;
  ch.O = malloc(sizeof(double) * (size_t)(sweeps_opt * nw) * nr);
  ch.wmean = malloc(sizeof(double) * (size_t)(2 * maxs));
  delta = malloc(sizeof(double) * nr);
  const nqs_optimizer_type *opt = nqs_optimizer_find(c->optimizer.method); /* NULL for sr */
  ls.opt_len = opt ? opt->state_per_param * nr : 0;
  ls.opt_state = calloc((size_t)ls.opt_len + 1, sizeof(double));
  ls.prev = malloc(sizeof(double) * nr);
  if (!ch.w || !ch.el || (cplx && !ch.eli) || !ch.O || !ch.wmean || !delta || !ls.opt_state || !ls.prev) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for %d walkers and %d parameters", nw, np);
    goto out;
  }
  for (int i = 0; i < ch.nloc && !st; i++) { /* walker i of this rank: stream (seed, global index) */
    if ((st = nqs_spin_walker_alloc(&rbm, &ch.w[i], err))) break;
    nqs_rng_seed(&ch.w[i].rng, c->run.seed, (uint64_t)(ch.w0 + i));
    for (int k = 0; k < n; k++) ch.w[i].s[k] = heis ? (k % 2 ? -1.0 : 1.0) : (nqs_rng_uniform(&ch.w[i].rng) < 0.5 ? 1.0 : -1.0);
    if (heis) /* a random zero-magnetisation start: shuffle */
      for (int k = n - 1; k > 0; k--) {
        int m = (int)(nqs_rng_uniform(&ch.w[i].rng) * (k + 1));
        m = m > k ? k : m;
        const double tmp = ch.w[i].s[k];
        ch.w[i].s[k] = ch.w[i].s[m];
        ch.w[i].s[m] = tmp;
      }
  }
  if (st) goto out;
  if (ck) { /* the chains continue where they were: no new thermalisation */
    if ((st = restore(ck, &ch, &ls, err)) || (root && !eval_only && (st = nqs_run_write_config(c, res->dir, err)))) goto out;
    reinit(&ch);
  } else {
    reinit(&ch);
    for (int i = 0; i < ch.nloc; i++)
      for (int t = 0; t < c->sampler.thermalization; t++) nqs_spin_sweep(&sys, &rbm, &ch.w[i]);
  }
  const long it0 = ls.it;

  /* a restart appends to the log and the energy table */
  if (root && !eval_only)
    st = nqs_run_open_logs(res->dir, "energy.csv", "iteration,energy,error,variance,acceptance,wall_seconds", ck != NULL, &log,
                           &csv, err);
  if ((st = nqs_comm_agree(comm, st, err))) goto out;
  nqs_sr_options so = {.diag_shift = ls.diag_shift, .diag_shift_rel = c->optimizer.diag_shift_rel};
  nqs_progress pr = {.phase = "optimize", .iterations = c->optimizer.iterations, .has_energy = 1};
  const double t_opt = nqs_run_now();
  /* A step that made the energy non-finite or explode (a rise beyond 5 sigma of E_L, as in the
   * continuum driver, or a hundredfold variance, which on a lattice comes first) is undone and
   * retried with half the learning rate and ten times the SR shift, at most 8 times. */
  int retries = 0;
  const long last = eval_only ? it0 : c->optimizer.iterations;
  for (long it = it0 + 1; it <= last; it++) {
    nqs_estimate e;
    double acc;
    st = sample(&ch, sweeps_opt, 1, &e, &acc, err);
    const char *reason = st == NQS_ERUNTIME ? err->msg
                         : (ls.have_prev && e.mean - ls.prev_mean > 5 * sqrt(ls.prev_var) + 10 * (ls.prev_err + e.error))
                             ? "energy rose by more than 5 standard deviations of E_L"
                         : (ls.have_prev && e.variance > 100 * ls.prev_var + 1e-12)
                             ? "variance of E_L grew more than a hundredfold"
                             : NULL;
    if (reason && ls.have_prev && retries < 8) {
      retries++;
      memcpy(theta, ls.prev, sizeof(double) * nr);
      ls.lr_scale *= 0.5;
      so.diag_shift = so.diag_shift > 0 ? 10 * so.diag_shift : 1e-3;
      cJSON *j = cJSON_CreateObject();
      cJSON_AddNumberToObject(j, "iteration", (double)it);
      cJSON_AddStringToObject(j, "event", "step_rejected");
      cJSON_AddStringToObject(j, "reason", reason);
      cJSON_AddNumberToObject(j, "learning_rate", nqs_run_learning_rate(c, it) * ls.lr_scale);
      if (!opt) cJSON_AddNumberToObject(j, "diag_shift", so.diag_shift);
      nqs_run_log_line(log, j);
      reinit(&ch);
      st = NQS_OK;
      it--;
      continue;
    }
    if (st) {
      nqs_error_prefix(err, "iteration %ld", it);
      goto out;
    }
    retries = 0;
    memcpy(ls.prev, theta, sizeof(double) * nr);
    ls.have_prev = 1;
    ls.prev_mean = e.mean;
    ls.prev_var = e.variance;
    ls.prev_err = e.error;
    const long ns = sweeps_opt * nw;
    const double lr = nqs_run_learning_rate(c, it) * ls.lr_scale;
    if (!opt && !cplx) {
      nqs_sr_info info;
      if ((st = nqs_sr_solve(ch.O, ch.el, ns, np, &so, delta, &info, err))) goto out;
      for (int k = 0; k < np; k++) theta[k] -= lr * delta[k];
    } else if (!opt) {
      if ((st = sr_complex(&ch, ns, &so, delta, err))) goto out;
      for (int k = 0; k < np; k++) {
        theta[2 * k] -= lr * delta[k];
        theta[2 * k + 1] -= lr * delta[np + k];
      }
    } else {
      /* real: grad_k = 2 (<E_L O_k> - <E_L><O_k>); complex, per (Re, Im) pair:
       * 2 Re and 2 Im of <O_k^* E_L>_c */
      for (int k = 0; k < np; k++) {
        double complex so_ = 0, seo = 0, sel = 0;
        for (long q = 0; q < ns; q++) {
          const double complex ok = cplx ? ((const double complex *)ch.O)[(size_t)q * np + k] : ch.O[(size_t)q * np + k];
          const double complex el = ch.el[q] + (cplx ? I * ch.eli[q] : 0);
          so_ += conj(ok);
          seo += conj(ok) * el;
          sel += el;
        }
        const double complex g = 2 * (seo / ns - (so_ / ns) * (sel / ns));
        if (cplx) {
          delta[2 * k] = creal(g);
          delta[2 * k + 1] = cimag(g);
        } else {
          delta[k] = creal(g);
        }
      }
      opt->step(theta, delta, ls.opt_state, nr, lr, it);
    }
    reinit(&ch);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "iteration", (double)it);
    cJSON *je = cJSON_AddObjectToObject(j, "energy");
    cJSON_AddNumberToObject(je, "mean", e.mean);
    cJSON_AddNumberToObject(je, "error", e.error);
    cJSON_AddNumberToObject(je, "variance", e.variance);
    cJSON_AddNumberToObject(j, "acceptance", acc);
    cJSON_AddNumberToObject(j, "learning_rate", lr);
    cJSON_AddNumberToObject(j, "wall_seconds", nqs_run_now() - t0);
    nqs_run_log_line(log, j);
    if (csv) {
      fprintf(csv, "%ld,%.12g,%.6g,%.6g,%.4f,%.3f\n", it, e.mean, e.error, e.variance, acc, nqs_run_now() - t0);
      fflush(csv);
    }
    if (root && o && o->progress) {
      pr.iteration = (int)it;
      pr.fraction = (double)it / c->optimizer.iterations;
      pr.energy = e.mean;
      pr.error = e.error;
      pr.acceptance = acc;
      pr.elapsed = nqs_run_now() - t_opt;
      o->progress(o->user, &pr);
    }
    ls.it = it;
    ls.diag_shift = so.diag_shift;
    if (c->output.checkpoint_every > 0 && it % c->output.checkpoint_every == 0 &&
        (st = save_checkpoint(c, &ch, &ls, res->dir, err)))
      goto out;
  }
  /* the state the evaluation starts from: `nqs evaluate` and restarts resume here */
  if ((ls.it > it0 || !ck) && (st = save_checkpoint(c, &ch, &ls, res->dir, err))) goto out;
  const double per_it = ls.it > it0 ? (nqs_run_now() - t_opt) / (double)(ls.it - it0) : 0;
  nqs_estimate e;
  double acc;
  ch.side = sys.L;
  ch.dim = sys.dim;
  ch.corr = calloc((size_t)nw * corr_len(&ch), sizeof(double));
  if (!ch.corr) {
    st = nqs_error_set(err, NQS_ENOMEM, "out of memory for the correlations");
    goto out;
  }
  if ((st = sample(&ch, sweeps_eval, 0, &e, &acc, err)) || (st = nqs_comm_sum(comm, ch.corr, (long)(nw * corr_len(&ch)), err)) ||
      (root && (st = write_corr(&ch, sweeps_eval, res->dir, eval_only ? "evaluate_correlations.csv" : "correlations.csv", err))) ||
      (st = nqs_comm_agree(comm, st, err))) {
    nqs_error_prefix(err, "evaluation");
    goto out;
  }
  res->energy = e;
  res->acceptance = acc;
  res->samples = sweeps_eval * nw;
  /* the exact energy: free fermions for periodic TFIM chains, Bethe ansatz for L = 40, else Lanczos up to 20 sites */
  const int free_fermions = !heis && sys.dim == 1 && sys.periodic && sys.J == 1.0 && sys.J2 == 0 && n % 2 == 0;
  if (free_fermions) {
    res->has_reference = 1;
    res->reference = nqs_tfim_chain_exact(n, sys.h);
    res->reference_source = "exact (free fermions)";
  } else if (heis && n == 40 && sys.dim == 1 && sys.periodic && sys.J == 1.0 && sys.J2 == 0 && sys.delta == 1.0) {
    res->has_reference = 1;
    res->reference = -70.98609; /* ../shared/REFERENCES.md */
    res->reference_source = "exact (Bethe ansatz)";
  } else if (n <= 20 && nqs_exact_ground(&sys, &res->reference, err) == NQS_OK) {
    res->has_reference = 1;
    res->reference_source = "exact (Lanczos)";
  }
  res->wall_seconds = nqs_run_now() - t0;
  cJSON *out = cJSON_CreateObject();
  cJSON_AddItemToObject(out, "energy", nqs_run_estimate_json(&e));
  cJSON_AddNumberToObject(out, "energy_per_site", e.mean / n);
  const double rhat = nqs_rhat(ch.el, sweeps_eval, nw);
  if (isfinite(rhat)) cJSON_AddNumberToObject(out, "rhat", rhat); /* Gelman-Rubin over chains */
  cJSON_AddNumberToObject(out, "acceptance", acc);
  cJSON_AddNumberToObject(out, "samples", (double)res->samples);
  cJSON_AddNumberToObject(out, "mpi_ranks", nqs_comm_size(comm));
  if (res->has_reference) {
    cJSON *ref = cJSON_AddObjectToObject(out, "reference");
    cJSON_AddNumberToObject(ref, "value", res->reference);
    cJSON_AddStringToObject(ref, "source", res->reference_source);
    cJSON_AddNumberToObject(out, "relative_error", (e.mean - res->reference) / fabs(res->reference));
  }
  cJSON *sy = cJSON_AddObjectToObject(out, "system");
  cJSON_AddStringToObject(sy, "model", c->lattice.model);
  cJSON_AddStringToObject(sy, "graph", c->lattice.graph);
  cJSON_AddNumberToObject(sy, "sites", n);
  cJSON_AddStringToObject(sy, "ansatz", c->lattice.ansatz);
  if (rbm.ffnn) cJSON_AddStringToObject(sy, "layers", c->wavefunction.ffnn_layers);
  else cJSON_AddNumberToObject(sy, "hidden", rbm.H);
  cJSON_AddStringToObject(sy, "weights", c->lattice.weights);
  cJSON_AddStringToObject(sy, "symmetry", c->lattice.symmetry);
  cJSON_AddNumberToObject(out, "parameters", nr);
  cJSON_AddNumberToObject(out, "iterations", (double)ls.it);
  cJSON_AddNumberToObject(out, "seconds_per_iteration", per_it);
  cJSON_AddNumberToObject(out, "wall_seconds", res->wall_seconds);
  if (root) st = nqs_run_write_json(res->dir, eval_only ? "evaluate.json" : "result.json", out, err);
  else cJSON_Delete(out);
  st = nqs_comm_agree(comm, st, err);
  res->params = malloc(sizeof(double) * nr);
  if (res->params) {
    memcpy(res->params, theta, sizeof(double) * nr);
    res->nparams = nr;
  }
out:
  if (log) fclose(log);
  if (csv) fclose(csv);
  for (int i = 0; ch.w && i < ch.nloc; i++) nqs_spin_walker_free(&ch.w[i]);
  free(ch.w);
  free(ch.el);
  free(ch.eli);
  free(ch.corr);
  free(ch.O);
  free(ch.wmean);
  free(delta);
  free(ls.opt_state);
  free(ls.prev);
  nqs_spin_psi_free(&rbm);
  nqs_spin_system_free(&sys);
  free(sublattice);
  return st;
}
