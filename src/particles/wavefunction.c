/* wavefunction.c — product of factors, flat parameters, walkers, local energy. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/particles/wavefunction.h"

/* Registry: adding a factor type is one line here (and its declaration in nqs/particles/factor.h). */
const nqs_factor_type *const nqs_factor_types[] = {
    &nqs_factor_gaussian,
    &nqs_factor_slater,
    &nqs_factor_pade,
    &nqs_factor_rbm,
    &nqs_factor_ffnn,
    &nqs_factor_hardcore,
    &nqs_factor_backflow,
    NULL,
};

const char *nqs_factor_type_name(int i) { return nqs_factor_types[i] ? nqs_factor_types[i]->name : NULL; }

const nqs_factor_type *nqs_factor_type_find(const char *name) {
  for (int i = 0; nqs_factor_types[i]; i++)
    if (strcmp(nqs_factor_types[i]->name, name) == 0) return nqs_factor_types[i];
  return NULL;
}

nqs_factor *nqs_factor_alloc(const nqs_factor_type *t, const nqs_system *sys, int nparams) {
  nqs_factor *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->type = t;
  f->sys = *sys;
  f->nparams = nparams;
  f->param_names = calloc((size_t)(nparams > 0 ? nparams : 1), sizeof *f->param_names);
  f->theta0 = calloc((size_t)(nparams > 0 ? nparams : 1), sizeof(double));
  f->lower = calloc((size_t)(nparams > 0 ? nparams : 1), sizeof(double));
  if (!f->param_names || !f->theta0 || !f->lower) {
    nqs_factor_free(f);
    return NULL;
  }
  for (int k = 0; k < nparams; k++) f->lower[k] = -INFINITY;
  return f;
}

void nqs_factor_free(nqs_factor *f) {
  if (!f) return;
  if (f->type && f->type->free_priv && f->priv) f->type->free_priv(f);
  free(f->param_names);
  free(f->theta0);
  free(f->lower);
  free(f);
}

static size_t align64(size_t b) { return (b + 63) & ~(size_t)63; }

/* Names allowed in a factor list, for messages: "gaussian, slater, pade". */
static void type_list(char *buf, size_t size) {
  buf[0] = 0;
  for (int i = 0; nqs_factor_types[i]; i++) {
    if (i) strncat(buf, ", ", size - strlen(buf) - 1);
    strncat(buf, nqs_factor_types[i]->name, size - strlen(buf) - 1);
  }
}

nqs_wavefunction *nqs_wf_create(const nqs_system *sys, const char *factors,
                                const nqs_factor_options *opt, nqs_error *err) {
  nqs_wavefunction *wf = calloc(1, sizeof *wf);
  if (!wf) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory creating the wave function");
    return NULL;
  }
  wf->sys = *sys;
  char list[256], names[128];
  snprintf(list, sizeof list, "%s", factors);
  type_list(names, sizeof names);
  int binds = 0, fermionic = 0; /* how many factors bind / are antisymmetric */
  /* The one-body Gaussian comes from one factor only: when a binding factor that is
   * not a determinant (rbm, gaussian) is in the product, the determinants' orbitals are bare. */
  nqs_factor_options o2 = *opt;
  o2.slater_bare = 0;
  char scan[256];
  snprintf(scan, sizeof scan, "%s", factors);
  for (char *save = NULL, *tok = strtok_r(scan, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
    const nqs_factor_type *t = nqs_factor_type_find(tok);
    if (t && t->binds && !t->fermionic) o2.slater_bare = 1;
  }
  opt = &o2;
  for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    while (isspace((unsigned char)*tok)) tok++;
    for (char *e = tok + strlen(tok); e > tok && isspace((unsigned char)e[-1]);) *--e = 0;
    if (!*tok) continue;
    const nqs_factor_type *t = nqs_factor_type_find(tok);
    if (!t) {
      nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors", "unknown factor '%s': allowed %s", tok, names);
      goto fail;
    }
    for (int f = 0; f < wf->nfactors; f++)
      if (wf->factors[f]->type == t) {
        nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors", "factor '%s' appears twice in the product", tok);
        goto fail;
      }
    if (wf->nfactors == NQS_MAX_FACTORS) {
      nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors", "more than %d factors in the product", NQS_MAX_FACTORS);
      goto fail;
    }
    nqs_factor *fac = t->create(sys, opt, err);
    if (!fac) goto fail;
    wf->factors[wf->nfactors++] = fac;
    binds += t->binds;
    fermionic += t->fermionic;
  }
  if (wf->nfactors == 0) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors", "no factors given: allowed %s", names);
    goto fail;
  }
  if (fermionic > 1) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors",
                   "more than one antisymmetric factor (slater, backflow): their product would be symmetric; keep one");
    goto fail;
  }
  if (binds == 0) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors",
                  "no factor binds the particles to the trap (|Psi|^2 would not be normalisable): add 'gaussian' (bosons, distinguishable), 'slater' (fermions) or 'rbm'");
    goto fail;
  }
  /* Without an antisymmetric factor, fermions are only right when no two have
   * the same spin (N = 2: the spatial ground state is symmetric). */
  if (sys->statistics == NQS_FERMIONS && !fermionic && (sys->n_up > 1 || sys->n - sys->n_up > 1)) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.factors", "statistics = fermions with %d particles needs the antisymmetric factor 'slater' in [wavefunction] factors (only N = 2 may do without)", sys->n);
    goto fail;
  }

  /* Flat parameters and cache layout. */
  wf->param_off[0] = 0;
  wf->cache_off[0] = 0;
  for (int f = 0; f < wf->nfactors; f++) {
    wf->param_off[f + 1] = wf->param_off[f] + wf->factors[f]->nparams;
    wf->cache_off[f + 1] = wf->cache_off[f] + align64(wf->factors[f]->type->cache_size(wf->factors[f]));
  }
  wf->nparams = wf->param_off[wf->nfactors];
  size_t np = (size_t)(wf->nparams > 0 ? wf->nparams : 1);
  wf->params = calloc(np, sizeof(double));
  wf->lower = calloc(np, sizeof(double));
  wf->param_names = calloc(np, sizeof *wf->param_names);
  if (!wf->params || !wf->lower || !wf->param_names) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory for %d parameters", wf->nparams);
    goto fail;
  }
  for (int f = 0; f < wf->nfactors; f++) {
    const nqs_factor *fac = wf->factors[f];
    for (int k = 0; k < fac->nparams; k++) {
      int o = wf->param_off[f] + k;
      wf->params[o] = fac->theta0[k];
      wf->lower[o] = fac->lower[k];
      snprintf(wf->param_names[o], sizeof wf->param_names[o], "%s.%s", fac->type->name, fac->param_names[k]);
    }
  }
  return wf;
fail:
  nqs_wf_free(wf);
  return NULL;
}

void nqs_wf_free(nqs_wavefunction *wf) {
  if (!wf) return;
  for (int f = 0; f < wf->nfactors; f++) nqs_factor_free(wf->factors[f]);
  free(wf->params);
  free(wf->lower);
  free(wf->param_names);
  free(wf);
}

void nqs_wf_project(nqs_wavefunction *wf) {
  for (int k = 0; k < wf->nparams; k++)
    if (wf->params[k] < wf->lower[k]) wf->params[k] = wf->lower[k];
}

nqs_status nqs_walker_alloc(const nqs_wavefunction *wf, nqs_walker *w, nqs_error *err) {
  memset(w, 0, sizeof *w);
  size_t nx = (size_t)wf->sys.n * wf->sys.dim;
  w->x = calloc(nx, sizeof(double));
  w->x_new = calloc(nx, sizeof(double));
  w->grad = calloc(2 * nx, sizeof(double));
  size_t cb = (wf->cache_off[wf->nfactors] + 63) / 64 * 64;
  w->cache = aligned_alloc(64, cb > 0 ? cb : 64);
  w->cache_new = aligned_alloc(64, cb > 0 ? cb : 64);
  if (!w->x || !w->cache || !w->x_new || !w->cache_new || !w->grad) {
    nqs_walker_free(w);
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for a walker (2 x %zu bytes of cache)", cb);
  }
  memset(w->cache, 0, cb > 0 ? cb : 64);
  memset(w->cache_new, 0, cb > 0 ? cb : 64);
  return NQS_OK;
}

void nqs_walker_free(nqs_walker *w) {
  if (!w) return;
  free(w->x);
  free(w->cache);
  free(w->x_new);
  free(w->cache_new);
  free(w->grad);
  w->grad = NULL;
  w->x = w->x_new = NULL;
  w->cache = w->cache_new = NULL;
}

#define CACHE(wf, w, f) ((char *)(w)->cache + (wf)->cache_off[f])
#define THETA(wf, f) ((wf)->params + (wf)->param_off[f])

nqs_status nqs_wf_walker_init(const nqs_wavefunction *wf, nqs_walker *w, nqs_error *err) {
  double lp = 0;
  for (int f = 0; f < wf->nfactors; f++) {
    const nqs_factor *fac = wf->factors[f];
    double l = fac->type->init(fac, THETA(wf, f), w->x, CACHE(wf, w, f));
    if (!isfinite(l))
      return nqs_error_set(err, NQS_ERUNTIME,
                           "factor '%s' is singular or non-finite at this configuration (ln|f| = %g); "
                           "check the parameters or the starting positions", fac->type->name, l);
    lp += l;
  }
  w->logpsi = lp;
  return NQS_OK;
}

double nqs_wf_propose(const nqs_wavefunction *wf, nqs_walker *w, int p, const double *xp, double *grad_new) {
  const int d = wf->sys.dim;
  if (grad_new)
    for (int k = 0; k < d; k++) grad_new[k] = 0;
  double lr = 0;
  for (int f = 0; f < wf->nfactors; f++) {
    const nqs_factor *fac = wf->factors[f];
    lr += fac->type->propose(fac, THETA(wf, f), w->x, CACHE(wf, w, f), p, xp, grad_new);
  }
  return lr;
}

void nqs_wf_accept(const nqs_wavefunction *wf, nqs_walker *w, int p, const double *xp, double log_ratio) {
  const int d = wf->sys.dim;
  for (int f = 0; f < wf->nfactors; f++) {
    const nqs_factor *fac = wf->factors[f];
    fac->type->accept(fac, THETA(wf, f), w->x, CACHE(wf, w, f), p, xp);
  }
  for (int k = 0; k < d; k++) w->x[p * d + k] = xp[k];
  w->logpsi += log_ratio;
}

double nqs_wf_propose_all(const nqs_wavefunction *wf, nqs_walker *w) {
  double lp = 0;
  for (int f = 0; f < wf->nfactors; f++) {
    const nqs_factor *fac = wf->factors[f];
    lp += fac->type->init(fac, THETA(wf, f), w->x_new, (char *)w->cache_new + wf->cache_off[f]);
  }
  w->logpsi_new = lp;
  return isnan(lp) || lp == -INFINITY ? -INFINITY : lp - w->logpsi;
}

void nqs_wf_accept_all(nqs_walker *w) {
  double *x = w->x;
  void *c = w->cache;
  w->x = w->x_new;
  w->cache = w->cache_new;
  w->x_new = x;
  w->cache_new = c;
  w->logpsi = w->logpsi_new;
}

nqs_walker nqs_wf_proposed(const nqs_walker *w) {
  nqs_walker p = *w;
  p.x = w->x_new;
  p.cache = w->cache_new;
  p.logpsi = w->logpsi_new;
  return p;
}

void nqs_wf_grad_p(const nqs_wavefunction *wf, const nqs_walker *w, int p, double *g) {
  for (int k = 0; k < wf->sys.dim; k++) g[k] = 0;
  for (int f = 0; f < wf->nfactors; f++) {
    const nqs_factor *fac = wf->factors[f];
    fac->type->grad_p(fac, THETA(wf, f), w->x, CACHE(wf, w, f), p, g);
  }
}

void nqs_wf_grad_lap(const nqs_wavefunction *wf, const nqs_walker *w, double *g, double *lap) {
  const int nx = wf->sys.n * wf->sys.dim;
  for (int i = 0; i < nx; i++) g[i] = 0;
  *lap = 0;
  for (int f = 0; f < wf->nfactors; f++) {
    const nqs_factor *fac = wf->factors[f];
    fac->type->grad_lap(fac, THETA(wf, f), w->x, CACHE(wf, w, f), g, lap);
  }
}

nqs_local nqs_wf_local_energy(const nqs_wavefunction *wf, const nqs_walker *w, double *work) {
  const int nx = wf->sys.n * wf->sys.dim;
  double lap;
  nqs_wf_grad_lap(wf, w, work, &lap);
  double g2 = 0;
  for (int i = 0; i < nx; i++) g2 += work[i] * work[i];
  nqs_local e;
  e.kinetic = -0.5 * (lap + g2);
  e.v_trap = nqs_system_v_trap(&wf->sys, w->x);
  e.v_int = nqs_system_v_int(&wf->sys, w->x);
  e.e = e.kinetic + e.v_trap + e.v_int;
  return e;
}

double nqs_wf_sign(const nqs_wavefunction *wf, const nqs_walker *w) {
  double s = 1.0;
  for (int f = 0; f < wf->nfactors; f++) {
    const nqs_factor *fac = wf->factors[f];
    if (fac->type->sign) s *= fac->type->sign(fac, CACHE(wf, w, f));
  }
  return s;
}

void nqs_wf_dparams(const nqs_wavefunction *wf, const nqs_walker *w, double *o) {
  for (int f = 0; f < wf->nfactors; f++) {
    const nqs_factor *fac = wf->factors[f];
    fac->type->dparams(fac, THETA(wf, f), w->x, CACHE(wf, w, f), o + wf->param_off[f]);
  }
}
