/* vmc.c — the one sampler/estimator: walkers of any model over OpenMP threads and MPI ranks,
 * thermalisation with step adaptation, measurement of the local-energy series, <O_k>, the energy
 * gradient and (for SR) every O row. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/vmc.h"

/* Walker arrays w and work hold this rank's nw walkers, global indices w0 .. w0 + nw - 1.
 * Everything indexed by walker beyond them uses global indices over all nwg walkers
 * (see nqs/core/comm.h): each rank fills its own entries, zeros elsewhere, then sums. */
struct nqs_vmc {
  nqs_model *m;
  int owns_model;
  const nqs_comm *comm;
  double step, target;
  int nw, nwg, w0, threads;
  void **w;
  double *work;     /* nw * (work_doubles + 2 nparams): per-walker scratch (E_L's, O, the force row) */
  double *sum_o;    /* nwg * nparams */
  double *sum_eo;   /* nwg * nparams */
  double *series;   /* nseries * cap: per-sample local-energy components, layout [t * nwg + w] */
  double *eli;      /* cap: imaginary parts of E_L (complex models) */
  double *wmean;    /* 2 * cap / nwg: walker-averaged series, blocking scratch */
  long cap;         /* samples the series buffers hold */
  double *O;        /* ocap * nparams: O vectors of every sample (SR) */
  long ocap;
  double *o_mean, *grad;
  double *acc;      /* nwg accepted counts of the current call */
  double *bad;      /* nwg: sweep index of the first non-finite E_L + 1, or 0 */
  nqs_vmc_observe_fn observe;
  nqs_vmc_progress_fn progress;
  void *hook_ctx;
};

void nqs_vmc_set_hooks(nqs_vmc *v, nqs_vmc_observe_fn observe, nqs_vmc_progress_fn progress, void *ctx) {
  v->observe = observe;
  v->progress = progress;
  v->hook_ctx = ctx;
}

int nqs_vmc_walkers(const nqs_vmc *v) { return v->nw; }
int nqs_vmc_walkers_total(const nqs_vmc *v) { return v->nwg; }
int nqs_vmc_first_walker(const nqs_vmc *v) { return v->w0; }
void *nqs_vmc_walker(nqs_vmc *v, int i) { return v->w[i]; }
void *const *nqs_vmc_walker_list(const nqs_vmc *v) { return v->w; }
const nqs_model *nqs_vmc_model(const nqs_vmc *v) { return v->m; }
double nqs_vmc_step(const nqs_vmc *v) { return v->step; }
void nqs_vmc_set_step(nqs_vmc *v, double step) { v->step = step; }

void nqs_vmc_free(nqs_vmc *v) {
  if (!v) return;
  if (v->w)
    for (int i = 0; i < v->nw; i++)
      if (v->w[i]) v->m->type->walker_free(v->m, v->w[i]);
  free(v->w);
  free(v->work);
  free(v->sum_o);
  free(v->sum_eo);
  free(v->series);
  free(v->eli);
  free(v->O);
  free(v->wmean);
  free(v->o_mean);
  free(v->grad);
  free(v->acc);
  free(v->bad);
  if (v->owns_model) nqs_model_free(v->m);
  free(v);
}

nqs_status nqs_vmc_reinit(nqs_vmc *v, nqs_error *err) {
  for (int i = 0; i < v->nw; i++) {
    nqs_status st = v->m->type->walker_init(v->m, v->w[i], err);
    if (st) return st;
  }
  return NQS_OK;
}

nqs_vmc *nqs_vmc_create(nqs_model *m, const nqs_vmc_options *opt, nqs_error *err) {
  const int ranks = nqs_comm_size(opt->comm);
  if (opt->walkers < ranks || opt->walkers < 1) {
    nqs_error_setk(err, NQS_EINPUT, "sampler.walkers", "walkers = %d: need at least 1%s", opt->walkers,
                   ranks > 1 ? " per MPI rank" : "");
    return NULL;
  }
  nqs_vmc *v = calloc(1, sizeof *v);
  if (!v) goto oom;
  v->m = m;
  v->comm = opt->comm;
  v->step = opt->step > 0 ? opt->step : m->default_step;
  v->target = opt->target_acceptance > 0 ? opt->target_acceptance : m->default_target;
  v->nwg = opt->walkers;
  nqs_comm_walkers(opt->comm, v->nwg, &v->w0, &v->nw);
  v->threads = opt->threads;
  const size_t np = (size_t)(m->nparams > 0 ? m->nparams : 1);
  v->w = calloc((size_t)v->nw, sizeof *v->w);
  v->work = malloc((size_t)v->nw * (m->work_doubles + 2 * np) * sizeof(double));
  v->sum_o = malloc((size_t)v->nwg * np * sizeof(double));
  v->sum_eo = malloc((size_t)v->nwg * np * sizeof(double));
  v->o_mean = calloc(np, sizeof(double));
  v->grad = calloc(np, sizeof(double));
  v->acc = calloc((size_t)v->nwg, sizeof(double));
  v->bad = calloc((size_t)v->nwg, sizeof(double));
  if (!v->w || !v->work || !v->sum_o || !v->sum_eo || !v->o_mean || !v->grad || !v->acc || !v->bad) goto oom;
  for (int i = 0; i < v->nw; i++) { /* walker i of this rank: stream (seed, global index) */
    if (!(v->w[i] = m->type->walker_new(m, err))) {
      nqs_vmc_free(v);
      return NULL;
    }
    nqs_rng_seed(m->type->walker_rng(v->w[i]), opt->seed, (uint64_t)(v->w0 + i));
    if (m->type->walker_start(m, v->w[i], err)) {
      nqs_vmc_free(v);
      return NULL;
    }
  }
  return v;
oom:
  nqs_vmc_free(v);
  nqs_error_set(err, NQS_ENOMEM, "out of memory creating %d walkers", opt->walkers);
  return NULL;
}

nqs_vmc *nqs_vmc_create_wf(struct nqs_wavefunction *wf, const struct nqs_sampler_type *s, const nqs_vmc_options *opt,
                           nqs_error *err) {
  nqs_model *m = nqs_particles_model_wrap(wf, s, err);
  nqs_vmc *v = m ? nqs_vmc_create(m, opt, err) : NULL;
  if (v) v->owns_model = 1;
  else nqs_model_free(m);
  return v;
}

/* Zero the global-index buffer x[nwg * stride] before this rank fills its entries. */
static void zero_others(const nqs_vmc *v, double *x, size_t count) {
  if (nqs_comm_size(v->comm) > 1) memset(x, 0, sizeof(double) * count);
}

static int nthreads(const nqs_vmc *v) { return v->threads > 0 ? v->threads : omp_get_max_threads(); }

/* Run `sweeps` sweeps on every walker; accepted and proposed totals over all ranks. */
static nqs_status run_sweeps(nqs_vmc *v, int sweeps, long *accepted, long *proposed, nqs_error *err) {
  const int nw = v->nw;
  const double step = v->step;
  int nt = nthreads(v);
  zero_others(v, v->acc, (size_t)v->nwg);
#pragma omp parallel for schedule(static) num_threads(nt) if (nw > 1)
  for (int i = 0; i < nw; i++) {
    long a = 0;
    for (int s = 0; s < sweeps; s++) a += v->m->type->sweep(v->m, v->w[i], step);
    v->acc[v->w0 + i] = (double)a;
  }
  nqs_status st = nqs_comm_sum(v->comm, v->acc, v->nwg, err);
  long a = 0;
  for (int i = 0; i < v->nwg; i++) a += (long)v->acc[i];
  *accepted = a;
  *proposed = (long)sweeps * v->nwg * v->m->moves;
  return st;
}

nqs_status nqs_vmc_thermalize(nqs_vmc *v, int sweeps, int adapt, nqs_error *err) {
  const int block = 10;
  for (int done = 0; done < sweeps; done += block) {
    int s = sweeps - done < block ? sweeps - done : block;
    long a, p;
    nqs_status st = run_sweeps(v, s, &a, &p, err);
    if (st) return st;
    if (adapt && v->m->adapts && p > 0) {
      /* Multiplicative Robbins-Monro-like update: larger steps lower the acceptance. */
      double acc = (double)a / p;
      double f = exp(2.0 * (acc - v->target));
      if (f < 0.5) f = 0.5;
      if (f > 2.0) f = 2.0;
      v->step *= f;
    }
  }
  int bad = -1;
  for (int i = 0; i < v->nw && v->m->type->walker_finite; i++)
    if (!v->m->type->walker_finite(v->m, v->w[i])) bad = v->w0 + i;
  nqs_status st = bad >= 0 ? nqs_error_set(err, NQS_ERUNTIME, "walker %d reached a non-finite ln|Psi| during thermalisation", bad)
                           : NQS_OK;
  return nqs_comm_agree(v->comm, st, err);
}

/* Grow the per-sample buffers to ns samples of `sweeps` sweeps. */
static nqs_status reserve(nqs_vmc *v, long ns, long sweeps, int keep, nqs_error *err) {
  const int np = v->m->nparams;
  if (ns > v->cap) {
    double *s = realloc(v->series, (size_t)v->m->nseries * (size_t)ns * sizeof(double));
    if (!s) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %ld samples", ns);
    v->series = s;
    if (v->m->cplx) {
      double *e = realloc(v->eli, (size_t)ns * sizeof(double));
      if (!e) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %ld samples", ns);
      v->eli = e;
    }
    v->cap = ns;
  }
  double *m = realloc(v->wmean, 2 * (size_t)sweeps * sizeof(double));
  if (!m) return nqs_error_set(err, NQS_ENOMEM, "out of memory for %ld samples", ns);
  v->wmean = m;
  if (keep && ns > v->ocap) {
    double *o = realloc(v->O, (size_t)ns * (size_t)np * sizeof(double));
    if (!o) return nqs_error_set(err, NQS_ENOMEM, "out of memory storing %ld x %d O samples for SR", ns, np);
    v->O = o;
    v->ocap = ns;
  }
  return NQS_OK;
}

/* Per-walker sums for the gradient: real, sum O_k and sum E_L O_k; complex (pairs), sum O_k and
 * sum conj(O_k) E_L. */
static void accumulate(int cplx, int np, const double *o, double e, double ei, double *so, double *seo) {
  if (!cplx) {
    for (int k = 0; k < np; k++) {
      so[k] += o[k];
      seo[k] += e * o[k];
    }
    return;
  }
  for (int k = 0; k < np; k += 2) {
    so[k] += o[k];
    so[k + 1] += o[k + 1];
    seo[k] += o[k] * e + o[k + 1] * ei;     /* Re(conj(O) E) */
    seo[k + 1] += o[k] * ei - o[k + 1] * e; /* Im(conj(O) E) */
  }
}

void nqs_vmc_walker_mean(const double *x, long sweeps, int walkers, double *out) {
  for (long t = 0; t < sweeps; t++) {
    double s = 0;
    for (int i = 0; i < walkers; i++) s += x[t * walkers + i];
    out[t] = s / walkers;
  }
}

/* After sampling: acceptance, blocking estimates of every series (walker-averaged per sweep),
 * R-hat, and <O_k> with the energy gradient from the per-walker sums. */
static void estimates(nqs_vmc *v, long sweeps, int want_grad, int keep, nqs_vmc_result *res) {
  const nqs_model *m = v->m;
  const int nwg = v->nwg, np = m->nparams, nser = m->nseries, cplx = m->cplx;
  const size_t ps = (size_t)(np > 0 ? np : 1);
  const long ns = sweeps * nwg;
  double *S = v->series;
  double acc = 0;
  for (int i = 0; i < nwg; i++) acc += v->acc[i];
  res->acceptance = acc / ((double)ns * m->moves);
  res->samples = ns;

  /* Estimates: blocking on the walker-averaged series; variance over all samples. */
  double *wm = v->wmean, *scratch = v->wmean + sweeps;
  res->nseries = nser;
  for (int q = 0; q < nser; q++) {
    const double *x = S + (size_t)q * ns;
    nqs_vmc_walker_mean(x, sweeps, nwg, wm);
    nqs_estimate e = nqs_blocking(wm, sweeps, scratch);
    double var = 0;
    for (long k = 0; k < ns; k++) var += (x[k] - e.mean) * (x[k] - e.mean);
    e.variance = var / ns;
    e.n = ns;
    res->series[q] = e;
  }
  res->energy = res->series[0];
  res->rhat = nqs_rhat(S, sweeps, nwg);
  res->O = keep ? v->O : NULL;
  res->el = S;
  res->eli = cplx ? v->eli : NULL;
  res->o_mean = v->o_mean;
  res->grad = v->grad;
  res->grad_norm = 0;
  if (want_grad) {
    double emi = 0; /* mean imaginary part of E_L (complex models) */
    if (cplx) {
      for (long k = 0; k < ns; k++) emi += v->eli[k];
      emi /= ns;
    }
    for (int k = 0; k < np; k++) {
      double so = 0;
      for (int i = 0; i < nwg; i++) so += v->sum_o[(size_t)i * ps + k];
      v->o_mean[k] = so / ns;
    }
    for (int k = 0; k < np; k++) {
      double seo = 0;
      for (int i = 0; i < nwg; i++) seo += v->sum_eo[(size_t)i * ps + k];
      if (!cplx) v->grad[k] = 2.0 * (seo / ns - res->energy.mean * v->o_mean[k]);
      else if (k % 2 == 0) /* Re(conj(<O>) <E>) */
        v->grad[k] = 2.0 * (seo / ns - (v->o_mean[k] * res->energy.mean + v->o_mean[k + 1] * emi));
      else /* Im(conj(<O>) <E>) */
        v->grad[k] = 2.0 * (seo / ns - (v->o_mean[k - 1] * emi - v->o_mean[k] * res->energy.mean));
      res->grad_norm += v->grad[k] * v->grad[k];
    }
    res->grad_norm = sqrt(res->grad_norm);
  }
}

nqs_status nqs_vmc_sample(nqs_vmc *v, long sweeps, int want, nqs_vmc_result *res, nqs_error *err) {
  const int want_grad = (want & NQS_WANT_GRAD) != 0, keep = (want & NQS_WANT_SAMPLES) != 0;
  if (sweeps < 1) return nqs_error_set(err, NQS_EINPUT, "need at least one sweep per walker to sample");
  const nqs_model *m = v->m;
  const int nw = v->nw, nwg = v->nwg, w0 = v->w0, np = m->nparams, nser = m->nseries, cplx = m->cplx;
  const size_t ps = (size_t)(np > 0 ? np : 1); /* per-walker stride of the O buffers */
  const size_t wsz = m->work_doubles + 2 * ps;
  const long ns = sweeps * nwg;                /* samples over all ranks */
  nqs_status st = reserve(v, ns, sweeps, keep, err);
  if (st) return st;
  double *S = v->series;
  zero_others(v, v->series, (size_t)nser * ns);
  if (cplx) zero_others(v, v->eli, (size_t)ns);
  zero_others(v, v->acc, (size_t)nwg);
  zero_others(v, v->bad, (size_t)nwg);
  if (want_grad) {
    zero_others(v, v->sum_o, (size_t)nwg * ps);
    zero_others(v, v->sum_eo, (size_t)nwg * ps);
  }
  if (keep) zero_others(v, v->O, (size_t)ns * np);
  const int nt = nthreads(v), chunk = (nw + nt - 1) / nt; /* walkers of thread 0 (static schedule) */
  const long report = sweeps * chunk / 100 > 0 ? sweeps * chunk / 100 : 1;
#pragma omp parallel for schedule(static) num_threads(nt) if (nw > 1)
  for (int i = 0; i < nw; i++) {
    const int g = w0 + i; /* global walker index */
    void *w = v->w[i];
    double *work = v->work + (size_t)i * wsz;
    double *o = work + m->work_doubles;
    double *so = v->sum_o + (size_t)g * ps, *seo = v->sum_eo + (size_t)g * ps;
    if (want_grad)
      for (int k = 0; k < np; k++) so[k] = seo[k] = 0;
    long a = 0;
    v->bad[g] = 0;
    for (long t = 0; t < sweeps; t++) {
      a += m->type->sweep(m, w, v->step);
      const long idx = t * nwg + g;
      double e[NQS_MAX_SERIES], ei = 0;
      m->type->local(m, w, e, &ei, work);
      for (int q = 0; q < nser; q++) S[(size_t)q * ns + idx] = e[q];
      if (cplx) v->eli[idx] = ei;
      if (v->observe) v->observe(v->hook_ctx, g, w);
      if (v->progress && omp_get_thread_num() == 0 && i < chunk && ((long)i * sweeps + t + 1) % report == 0)
        v->progress(v->hook_ctx, (double)((long)i * sweeps + t + 1) / ((double)chunk * sweeps));
      if (!isfinite(e[0]) || !isfinite(ei)) {
        v->bad[g] = (double)(t + 1);
        break;
      }
      if (want_grad) {
        if (keep) o = v->O + (size_t)idx * np; /* write the sample's row directly */
        if (m->type->dlogpsi_force) { /* the model's own force row replaces O_k E_L */
          double *f = work + m->work_doubles + ps;
          m->type->dlogpsi_force(m, w, o, f);
          for (int k = 0; k < np; k++) {
            so[k] += o[k];
            seo[k] += f[k];
          }
        } else {
          m->type->dlogpsi(m, w, o);
          accumulate(cplx, np, o, e[0], ei, so, seo);
        }
      }
    }
    v->acc[g] = (double)a;
  }
  /* every rank now gets every walker's numbers (exact: the other entries are zero) */
  st = nqs_comm_sum(v->comm, v->series, (long)nser * ns, err);
  if (!st && cplx) st = nqs_comm_sum(v->comm, v->eli, ns, err);
  if (!st) st = nqs_comm_sum(v->comm, v->acc, nwg, err);
  if (!st) st = nqs_comm_sum(v->comm, v->bad, nwg, err);
  if (!st && want_grad) st = nqs_comm_sum(v->comm, v->sum_o, (long)(nwg * ps), err);
  if (!st && want_grad) st = nqs_comm_sum(v->comm, v->sum_eo, (long)(nwg * ps), err);
  if (!st && keep) st = nqs_comm_sum(v->comm, v->O, ns * np, err);
  if (st) return st;
  for (int i = 0; i < nwg; i++)
    if (v->bad[i] != 0)
      return nqs_error_set(err, NQS_ERUNTIME,
                           "non-finite local energy (walker %d, sweep %d): the wave function is singular for these "
                           "parameters; lower [optimizer] learning_rate or start from other parameters", i,
                           (int)v->bad[i] - 1);

  estimates(v, sweeps, want_grad, keep, res);
  return NQS_OK;
}
