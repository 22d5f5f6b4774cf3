/* model_particles.c — particles in continuous space (nqs/particles/system.h) as an engine model: a product
 * wave function (nqs/particles/wavefunction.h), one-particle moves of a sampler (nqs/particles/sampler.h), the local
 * energy split into kinetic, trap and interaction parts with <r^2> and the virial combination, and
 * the one- and two-body densities (nqs/particles/observables.h) as evaluation observables. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/model.h"
#include "nqs/particles/observables.h"
#include "nqs/particles/sampler.h"
#include "nqs/particles/wavefunction.h"

typedef struct {
  nqs_wavefunction *wf;
  int owns_wf;
  const nqs_sampler_type *sampler;
  nqs_config c; /* for the description and the observables (a wrapped wave function: defaults) */
} particles;

static const char *const SERIES[] = {"energy", "kinetic", "potential_trap", "potential_interaction", "r2", "virial"};

static void p_free(nqs_model *m) {
  if (!m) return;
  particles *p = m->priv;
  if (p && p->owns_wf) nqs_wf_free(p->wf);
  free(p);
  free(m);
}

static nqs_model *make(nqs_wavefunction *wf, int owns, const nqs_sampler_type *s, const nqs_config *c, nqs_error *err) {
  if (s->check && s->check(wf, err)) return NULL;
  nqs_model *m = calloc(1, sizeof *m);
  particles *p = calloc(1, sizeof *p);
  if (!m || !p) {
    free(m);
    free(p);
    nqs_error_set(err, NQS_ENOMEM, "out of memory");
    return NULL;
  }
  p->wf = wf;
  p->owns_wf = owns;
  p->sampler = s;
  if (c) p->c = *c;
  else nqs_config_defaults(&p->c);
  m->type = &nqs_model_particles;
  m->priv = p;
  m->nparams = wf->nparams;
  m->params = wf->params;
  m->ncoords = wf->sys.n * wf->sys.dim;
  m->moves = s->all_particles ? 1 : wf->sys.n;
  m->units = wf->sys.n;
  m->unit = "particle";
  /* hbar = m = 1: with Coulomb (e^2/4 pi eps = 1) Hartree atomic units (effective ones for a dot);
   * without it the trap's units, energies in hbar omega_0 and lengths in sqrt(hbar / m omega_0) */
  const int coulomb = strcmp(wf->sys.pot->name, "coulomb") == 0;
  m->energy_unit = coulomb ? "Ha" : "ħω₀", m->length_unit = coulomb ? "bohr" : "a_ho";
  m->work_doubles = (size_t)wf->sys.n * wf->sys.dim;
  m->nseries = isnan(wf->sys.pot->virial_power) ? 5 : 6; /* the virial last, when the potential has one */
  for (int q = 0; q < m->nseries; q++) m->series[q] = SERIES[q];
  m->moves_name = s->name;
  m->default_step = s->default_step;
  m->default_target = s->default_target;
  m->adapts = s->adapts;
  return m;
}

nqs_model *nqs_particles_model_wrap(nqs_wavefunction *wf, const nqs_sampler_type *s, nqs_error *err) {
  return make(wf, 0, s, NULL, err);
}

static nqs_model *p_create(const nqs_config *c, nqs_error *err) {
  nqs_system sys;
  if (nqs_config_system(c, &sys, err)) return NULL;
  nqs_factor_options fo = nqs_config_factor_options(c);
  if (fo.ffnn_nhidden < 0) {
    nqs_error_setk(err, NQS_EINPUT, "wavefunction.ffnn_layers",
                   "ffnn_layers = %s: expected a comma list of 1 to 7 widths from 1 to 4096, e.g. 16, 16", c->wavefunction.ffnn_layers);
    return NULL;
  }
  nqs_wavefunction *wf = nqs_wf_create(&sys, c->wavefunction.factors, &fo, err);
  if (!wf) return NULL;
  nqs_model *m = make(wf, 1, nqs_sampler_find(c->sampler.method), c, err);
  if (!m) nqs_wf_free(wf);
  return m;
}

#define WF(m) (((particles *)(m)->priv)->wf)

static void *p_walker_new(const nqs_model *m, nqs_error *err) {
  nqs_walker *w = calloc(1, sizeof *w);
  if (!w) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory for a walker");
    return NULL;
  }
  if (nqs_walker_alloc(WF(m), w, err)) {
    free(w);
    return NULL;
  }
  return w;
}

static void p_walker_free(const nqs_model *m, void *w) {
  nqs_walker_free(w);
  free(w);
}

static nqs_rng *p_rng(void *w) { return &((nqs_walker *)w)->rng; }
static double *p_coords(void *w) { return ((nqs_walker *)w)->x; }

/* Positions ~ N(0, 1/omega) per coordinate, redrawn until the wave function is non-singular. */
static nqs_status p_start(const nqs_model *m, void *wv, nqs_error *err) {
  nqs_walker *w = wv;
  const nqs_wavefunction *wf = WF(m);
  const double width = 1.0 / sqrt(wf->sys.omega);
  nqs_status st = NQS_ERUNTIME;
  for (int attempt = 0; attempt < 100 && st != NQS_OK; attempt++) {
    for (int k = 0; k < m->ncoords; k++) w->x[k] = width * nqs_rng_normal(&w->rng);
    st = nqs_wf_walker_init(wf, w, err);
  }
  return st;
}

static nqs_status p_init(const nqs_model *m, void *w, nqs_error *err) { return nqs_wf_walker_init(WF(m), w, err); }
static int p_finite(const nqs_model *m, const void *w) { return isfinite(((const nqs_walker *)w)->logpsi); }

static long p_sweep(const nqs_model *m, void *w, double step) {
  return ((particles *)m->priv)->sampler->sweep(WF(m), w, step);
}

/* E, T, V_trap, V_int, r^2 = (1/N) sum_i |x_i|^2 and the virial residual 2 T - 2 V_trap - k V_int
 * (zero in expectation at a variational optimum over the length scale; only for homogeneous
 * potentials V ~ r^k, see nqs/particles/potential.h). */
static void p_local(const nqs_model *m, const void *wv, double *e, double *ei, double *work) {
  const nqs_walker *w = wv;
  const nqs_local el = nqs_wf_local_energy(WF(m), w, work);
  e[0] = el.e;
  e[1] = el.kinetic;
  e[2] = el.v_trap;
  e[3] = el.v_int;
  double r2 = 0;
  for (int k = 0; k < m->ncoords; k++) r2 += w->x[k] * w->x[k];
  e[4] = r2 / (double)m->units;
  e[5] = nqs_system_virial(&WF(m)->sys, el.kinetic, el.v_trap, el.v_int);
  *ei = 0;
}

static void p_dlogpsi(const nqs_model *m, const void *w, double *o) { nqs_wf_dparams(WF(m), w, o); }
static void p_changed(nqs_model *m) { nqs_wf_project(WF(m)); }
static void p_name(const nqs_model *m, int k, char *buf, size_t size) { snprintf(buf, size, "%s", WF(m)->param_names[k]); }

/* Histogram radius when none is given: twice the largest particle radius among the walkers (all ranks). */
static double auto_r_max(const nqs_model *m, void *const *local, int nlocal, const nqs_comm *comm) {
  const nqs_system *sys = &WF(m)->sys;
  double mx = 0;
  for (int i = 0; i < nlocal; i++) {
    const double *x = ((const nqs_walker *)local[i])->x;
    for (int p = 0; p < sys->n; p++) {
      double r2 = 0;
      for (int k = 0; k < sys->dim; k++) r2 += x[p * sys->dim + k] * x[p * sys->dim + k];
      if (r2 > mx) mx = r2;
    }
  }
  /* the largest over ranks: each rank's value at its own index, summed */
  const int K = nqs_comm_size(comm);
  double *all = calloc((size_t)K, sizeof(double));
  if (all) {
    all[nqs_comm_rank(comm)] = mx;
    nqs_error ignored;
    if (nqs_comm_sum(comm, all, K, &ignored) == NQS_OK)
      for (int k = 0; k < K; k++) mx = all[k] > mx ? all[k] : mx;
    free(all);
  }
  return mx > 0 ? 2.0 * sqrt(mx) : 4.0 / sqrt(sys->omega);
}

static nqs_status p_obs_create(const nqs_model *m, const nqs_config *c, int walkers, void *const *local, int nlocal,
                               const nqs_comm *comm, void **obs, nqs_error *err) {
  nqs_obs_options oo = {.radial_bins = c->observables.radial_bins, .grid_bins = c->observables.grid_bins,
                        .pair_bins = c->observables.pair_bins, .r_max = c->observables.r_max};
  *obs = NULL;
  if (!oo.radial_bins && !oo.grid_bins && !oo.pair_bins) return NQS_OK;
  if (oo.r_max <= 0) oo.r_max = auto_r_max(m, local, nlocal, comm);
  *obs = nqs_obs_create(&WF(m)->sys, &oo, walkers, err);
  return *obs ? NQS_OK : err->code;
}

static void p_obs_measure(void *obs, int g, const void *w) { nqs_obs_measure(obs, g, ((const nqs_walker *)w)->x); }
static nqs_status p_obs_reduce(void *obs, const nqs_comm *comm, nqs_error *err) { return nqs_obs_reduce(obs, comm, err); }
static nqs_status p_obs_write(const nqs_model *m, void *obs, long sweeps, const char *dir, nqs_error *err) {
  return nqs_obs_write(obs, dir, m->length_unit, err);
}

static cJSON *histogram_json(const nqs_histogram *h, const char *file, int bins) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "file", file);
  cJSON_AddNumberToObject(o, "bins", bins);
  cJSON_AddNumberToObject(o, "range_max", h->hi);
  cJSON_AddNumberToObject(o, "weight_outside", h->outside);
  return o;
}

static cJSON *p_obs_json(const nqs_model *m, void *obs) {
  cJSON *o = cJSON_CreateObject();
  const nqs_histogram *h;
  cJSON_AddStringToObject(o, "hdf5", "observables.h5");
  if ((h = nqs_obs_radial(obs))) cJSON_AddItemToObject(o, "density_radial", histogram_json(h, "density_radial.csv", h->bins));
  if ((h = nqs_obs_grid(obs)))
    cJSON_AddItemToObject(o, "density_grid", histogram_json(h, "density_grid.csv", ((particles *)m->priv)->c.observables.grid_bins));
  if ((h = nqs_obs_pair(obs))) cJSON_AddItemToObject(o, "pair_density", histogram_json(h, "pair_density.csv", h->bins));
  return o;
}

static void p_obs_free(void *obs) { nqs_obs_free(obs); }

static int p_reference(const nqs_model *m, double *value, const char **source) {
  return nqs_system_reference(&WF(m)->sys, value, source);
}

static int p_lower_bound(const nqs_model *m, double *value, const char **source) {
  return nqs_system_lower_bound(&WF(m)->sys, value, source);
}

static void p_describe(const nqs_model *m, cJSON *sy) {
  const particles *p = m->priv;
  const nqs_system *s = &p->wf->sys;
  cJSON_AddNumberToObject(sy, "dimensions", s->dim);
  cJSON_AddNumberToObject(sy, "particles", s->n);
  cJSON_AddStringToObject(sy, "statistics", p->c.system.statistics);
  cJSON_AddNumberToObject(sy, "omega", s->omega);
  cJSON_AddNumberToObject(sy, "lambda", s->lambda);
  cJSON_AddStringToObject(sy, "interaction", p->c.system.interaction);
  cJSON_AddStringToObject(sy, "factors", p->c.wavefunction.factors);
}

const nqs_model_type nqs_model_particles = {
    .name = "continuum",
    .help = "particles in a harmonic trap in 1-3 dimensions ([system], [wavefunction], [sampler], [observables])",
    .create = p_create,
    .free = p_free,
    .walker_new = p_walker_new,
    .walker_free = p_walker_free,
    .walker_rng = p_rng,
    .walker_coords = p_coords,
    .walker_start = p_start,
    .walker_init = p_init,
    .walker_finite = p_finite,
    .sweep = p_sweep,
    .local = p_local,
    .dlogpsi = p_dlogpsi,
    .params_changed = p_changed,
    .param_name = p_name,
    .obs_create = p_obs_create,
    .obs_measure = p_obs_measure,
    .obs_reduce = p_obs_reduce,
    .obs_write = p_obs_write,
    .obs_json = p_obs_json,
    .obs_free = p_obs_free,
    .reference = p_reference,
    .lower_bound = p_lower_bound,
    .describe = p_describe,
};
