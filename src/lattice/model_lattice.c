/* model_lattice.c — spin-1/2 lattice models (nqs/lattice/lattice.h) with an RBM or a feed-forward network
 * (nqs/lattice/spin.h) as an engine model: Metropolis spin flips (TFIM) or bond exchanges (Heisenberg),
 * the local energy through the connected configurations (complex for complex weights), and the
 * spin-spin correlations against the displacement as the evaluation observable. The exact energy
 * stands beside the result when it is known: free fermions for periodic TFIM chains, the
 * Bethe-ansatz energy of the periodic Heisenberg chain of 40 sites, Lanczos up to 20 sites. */
#include <cjson/cJSON.h>
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/core/model.h"
#include "nqs/lattice/spin.h"
#include "nqs/particles/factor.h" /* the [wavefunction] ffnn_* keys, shared with the network on spins */

typedef struct {
  nqs_spin_system sys;
  nqs_spin_psi rbm;
  int *sublattice; /* Marshall sign rule: the two sublattices (NULL: off) */
  int heis;
  nqs_config c;
  double reference;
  const char *reference_source;
  int has_reference; /* -1: not looked up yet */
} lattice;

#define LAT(m) ((lattice *)(m)->priv)

static void l_free(nqs_model *m) {
  if (!m) return;
  lattice *l = m->priv;
  if (l) {
    nqs_spin_psi_free(&l->rbm);
    nqs_spin_system_free(&l->sys);
    free(l->sublattice);
    free(l);
  }
  free(m);
}

static nqs_model *l_create(const nqs_config *c, nqs_error *err) {
  nqs_model *m = calloc(1, sizeof *m);
  lattice *l = calloc(1, sizeof *l);
  if (!m || !l) {
    free(m);
    free(l);
    nqs_error_set(err, NQS_ENOMEM, "out of memory");
    return NULL;
  }
  m->type = &nqs_model_lattice;
  m->priv = l;
  l->c = *c;
  l->has_reference = -1;
  nqs_status st = nqs_config_spin_system(c, &l->sys, err);
  if (st) goto fail;
  const int n = l->sys.nsites;
  l->heis = l->sys.model == NQS_MODEL_HEISENBERG;
  if (l->heis && strcmp(c->lattice.marshall, "yes") == 0) {
    l->sublattice = malloc(sizeof(int) * (size_t)n);
    if (!l->sublattice || !nqs_spin_bipartite(&l->sys, l->sublattice)) {
      st = nqs_error_setk(err, NQS_EINPUT, "lattice.marshall",
                          "the Marshall sign rule needs a bipartite lattice (even length when periodic); set marshall = no");
      goto fail;
    }
  }
  if (l->heis && n % 2) {
    st = nqs_error_setk(err, NQS_EINPUT, "lattice.length", "heisenberg runs sample at zero magnetisation: need an even number of sites");
    goto fail;
  }
  const int cplx = strcmp(c->lattice.weights, "complex") == 0;
  const nqs_factor_options fo = nqs_config_factor_options(c); /* the network's layers and activation */
  if (strcmp(c->lattice.ansatz, "ffnn") == 0) {
    if (fo.ffnn_nhidden < 0) {
      st = nqs_error_setk(err, NQS_EINPUT, "wavefunction.ffnn_layers",
                          "ffnn_layers = %s: expected a comma list of 1 to 7 widths from 1 to 4096, e.g. 16, 16", c->wavefunction.ffnn_layers);
      goto fail;
    }
    st = nqs_spin_ffnn_init(&l->rbm, n, fo.ffnn_hidden, fo.ffnn_nhidden, (nqs_activation)fo.ffnn_activation,
                            c->wavefunction.init_std, c->run.seed, err);
  } else if (strcmp(c->lattice.symmetry, "translation") == 0)
    st = nqs_spin_rbm_init_translation(&l->rbm, &l->sys, c->lattice.alpha, cplx, c->wavefunction.init_std, c->run.seed, err);
  else
    st = nqs_spin_rbm_init(&l->rbm, n, c->lattice.alpha * n, cplx, c->wavefunction.init_std, c->run.seed, err);
  if (st) goto fail;
  m->cplx = cplx;
  m->nparams = cplx ? 2 * l->rbm.nfree : l->rbm.nfree;
  m->params = l->rbm.fparams; /* (Re, Im) interleaved when complex */
  m->ncoords = n;
  m->moves = n;
  m->units = n;
  m->unit = "site";
  m->energy_unit = "J", m->length_unit = "sites";
  m->nseries = 1;
  m->series[0] = "energy";
  m->moves_name = l->heis ? "exchange" : "flip";
  return m;
fail:
  l_free(m);
  return NULL;
}

static void *l_walker_new(const nqs_model *m, nqs_error *err) {
  nqs_spin_walker *w = calloc(1, sizeof *w);
  if (!w) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory for a walker");
    return NULL;
  }
  if (nqs_spin_walker_alloc(&LAT(m)->rbm, w, err)) {
    free(w);
    return NULL;
  }
  return w;
}

static void l_walker_free(const nqs_model *m, void *w) {
  nqs_spin_walker_free(w);
  free(w);
}

static nqs_rng *l_rng(void *w) { return &((nqs_spin_walker *)w)->rng; }
static double *l_coords(void *w) { return ((nqs_spin_walker *)w)->s; }

/* TFIM: random spins; Heisenberg: a random zero-magnetisation configuration (a shuffled Neel state). */
static nqs_status l_start(const nqs_model *m, void *wv, nqs_error *err) {
  const lattice *l = LAT(m);
  nqs_spin_walker *w = wv;
  const int n = l->sys.nsites;
  for (int k = 0; k < n; k++) w->s[k] = l->heis ? (k % 2 ? -1.0 : 1.0) : (nqs_rng_uniform(&w->rng) < 0.5 ? 1.0 : -1.0);
  if (l->heis)
    for (int k = n - 1; k > 0; k--) {
      int q = (int)(nqs_rng_uniform(&w->rng) * (k + 1));
      q = q > k ? k : q;
      const double tmp = w->s[k];
      w->s[k] = w->s[q];
      w->s[q] = tmp;
    }
  nqs_spin_walker_init(&l->rbm, w);
  return NQS_OK;
}

static nqs_status l_init(const nqs_model *m, void *wv, nqs_error *err) {
  nqs_spin_walker *w = wv;
  for (int k = 0; k < m->ncoords; k++)
    if (w->s[k] != 1.0 && w->s[k] != -1.0)
      return nqs_error_set(err, NQS_EINPUT, "spin %d of a walker is %g, not +-1: not a lattice configuration", k, w->s[k]);
  nqs_spin_walker_init(&LAT(m)->rbm, w);
  return NQS_OK;
}

static long l_sweep(const nqs_model *m, void *w, double step) { return nqs_spin_sweep(&LAT(m)->sys, &LAT(m)->rbm, w); }

static void l_local(const nqs_model *m, const void *w, double *e, double *ei, double *work) {
  const lattice *l = LAT(m);
  const double complex el = nqs_spin_local_energy(&l->sys, &l->rbm, w, l->sublattice);
  e[0] = creal(el);
  *ei = cimag(el);
}

static void l_dlogpsi(const nqs_model *m, const void *w, double *o) { nqs_spin_dlogpsi(&LAT(m)->rbm, w, o); }
static void l_changed(nqs_model *m) { nqs_spin_psi_sync(&LAT(m)->rbm); }

/* a[i] b[j] W[i][j], or a b[f] w[f][d] (symmetric), or W<l>[i,j] b<l>[i] (network);
 * complex weights: re(...) and im(...) of each. */
static void l_name(const nqs_model *m, int q, char *buf, size_t size) {
  const nqs_spin_psi *r = &LAT(m)->rbm;
  const int n = r->n, alpha = r->H / n, k = r->cplx ? q / 2 : q;
  char one[40];
  if (r->ffnn) {
    nqs_mlp_param_name(&r->mlp, k, "", one, sizeof one);
  } else if (r->tie) {
    if (k == 0) snprintf(one, sizeof one, "a");
    else if (k <= alpha) snprintf(one, sizeof one, "b[%d]", k - 1);
    else snprintf(one, sizeof one, "w[%d][%d]", (k - 1 - alpha) / n, (k - 1 - alpha) % n);
  } else {
    if (k < n) snprintf(one, sizeof one, "a[%d]", k);
    else if (k < n + r->H) snprintf(one, sizeof one, "b[%d]", k - n);
    else snprintf(one, sizeof one, "W[%d][%d]", (k - n - r->H) / r->H, (k - n - r->H) % r->H);
  }
  if (r->cplx) snprintf(buf, size, "%s(%s)", q % 2 ? "im" : "re", one);
  else snprintf(buf, size, "%s", one);
}

/* Correlations: per walker, the sums over sites x of s_x s_{x+d} for each displacement d = (dx, dy)
 * (index dx + L dy, wrapping around), or for an edge list the sums of s_i s_j for every pair i < j. */
typedef struct {
  const lattice *l;
  int W;
  size_t len;
  double *corr; /* W * len */
} corr_obs;

static nqs_status l_obs_create(const nqs_model *m, const nqs_config *c, int walkers, void *const *local, int nlocal,
                               const nqs_comm *comm, void **obs, nqs_error *err) {
  const lattice *l = LAT(m);
  corr_obs *o = calloc(1, sizeof *o);
  const int n = l->sys.nsites;
  if (o) {
    o->l = l;
    o->W = walkers;
    o->len = (size_t)n * (l->sys.dim ? 1 : (size_t)n);
    o->corr = calloc((size_t)walkers * o->len, sizeof(double));
  }
  if (!o || !o->corr) {
    free(o);
    *obs = NULL;
    return nqs_error_set(err, NQS_ENOMEM, "out of memory for the correlations");
  }
  *obs = o;
  return NQS_OK;
}

static void l_obs_measure(void *ov, int g, const void *wv) {
  corr_obs *o = ov;
  const nqs_spin_system *sys = &o->l->sys;
  const int L = sys->L, n = sys->nsites, ny = sys->dim == 2 ? L : 1;
  const double *s = ((const nqs_spin_walker *)wv)->s;
  double *c = o->corr + (size_t)g * o->len;
  if (sys->dim == 0) { /* a graph without geometry: every pair i < j */
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

static nqs_status l_obs_reduce(void *ov, const nqs_comm *comm, nqs_error *err) {
  corr_obs *o = ov;
  return nqs_comm_sum(comm, o->corr, (long)(o->W * o->len), err);
}

/* mean over walkers of entry k of the per-walker sums, divided by norm, and its standard error */
static void corr_entry(const corr_obs *o, size_t k, double norm, double *mean, double *error) {
  double m = 0, m2 = 0;
  for (int w = 0; w < o->W; w++) {
    const double v = o->corr[(size_t)w * o->len + k] / norm;
    m += v;
    m2 += v * v;
  }
  m /= o->W;
  *mean = m;
  *error = o->W > 1 ? sqrt(fmax(m2 / o->W - m * m, 0) / (o->W - 1)) : NAN;
}

/* correlations.csv: C(d) = (1/n) sum_x <s_x s_{x+d}> with the standard error over walkers; for an
 * edge list, <s_i s_j> for every pair i < j. */
static nqs_status l_obs_write(const nqs_model *m, void *ov, long sweeps, const char *dir, nqs_error *err) {
  const corr_obs *o = ov;
  const nqs_spin_system *sys = &o->l->sys;
  const int n = sys->nsites, L = sys->L;
  char path[700];
  snprintf(path, sizeof path, "%s/correlations.csv", dir);
  FILE *f = fopen(path, "w");
  if (!f) return nqs_error_set(err, NQS_EIO, "cannot write %s", path);
  double mean, e;
  if (sys->dim == 0) {
    fprintf(f, "i,j,C,error\n");
    for (int a = 0; a < n; a++)
      for (int b = a + 1; b < n; b++) {
        corr_entry(o, (size_t)a * n + b, (double)sweeps, &mean, &e);
        fprintf(f, "%d,%d,%.10g,%.3g\n", a, b, mean, e);
      }
  } else {
    fprintf(f, "dx,dy,C,error\n");
    for (int d = 0; d < n; d++) {
      corr_entry(o, (size_t)d, (double)sweeps * n, &mean, &e);
      fprintf(f, "%d,%d,%.10g,%.3g\n", d % L, d / L, mean, e);
    }
  }
  return fclose(f) ? nqs_error_set(err, NQS_EIO, "cannot finish %s", path) : NQS_OK;
}

static cJSON *l_obs_json(const nqs_model *m, void *ov) {
  cJSON *o = cJSON_CreateObject();
  cJSON *c = cJSON_AddObjectToObject(o, "correlations");
  cJSON_AddStringToObject(c, "file", "correlations.csv");
  cJSON_AddStringToObject(c, "definition", LAT(m)->sys.dim ? "C(dx,dy) = (1/n) sum_x <s_x s_x+d>" : "<s_i s_j>, i < j");
  return o;
}

static void l_obs_free(void *ov) {
  corr_obs *o = ov;
  if (o) free(o->corr);
  free(o);
}

static int l_reference(const nqs_model *m, double *value, const char **source) {
  lattice *l = LAT(m);
  if (l->has_reference < 0) {
    const nqs_spin_system *s = &l->sys;
    const int n = s->nsites;
    l->has_reference = 0;
    if (!l->heis && s->dim == 1 && s->periodic && s->J == 1.0 && s->J2 == 0 && n % 2 == 0) {
      l->has_reference = 1;
      l->reference = nqs_tfim_chain_exact(n, s->h);
      l->reference_source = "exact (free fermions)";
    } else if (l->heis && n == 40 && s->dim == 1 && s->periodic && s->J == 1.0 && s->J2 == 0 && s->delta == 1.0) {
      l->has_reference = 1;
      l->reference = -70.98609; /* Bethe ansatz, periodic Heisenberg chain of 40 sites */
      l->reference_source = "exact (Bethe ansatz)";
    } else if (n <= 20 && nqs_exact_ground(s, &l->reference, NULL) == NQS_OK) {
      l->has_reference = 1;
      l->reference_source = "exact (Lanczos)";
    }
  }
  *value = l->reference;
  *source = l->reference_source;
  return l->has_reference;
}

static void l_describe(const nqs_model *m, cJSON *sy) {
  const lattice *l = LAT(m);
  const nqs_config *c = &l->c;
  cJSON_AddStringToObject(sy, "model", c->lattice.model);
  cJSON_AddStringToObject(sy, "graph", c->lattice.graph);
  cJSON_AddNumberToObject(sy, "sites", l->sys.nsites);
  cJSON_AddStringToObject(sy, "ansatz", c->lattice.ansatz);
  if (l->rbm.ffnn) cJSON_AddStringToObject(sy, "layers", c->wavefunction.ffnn_layers);
  else cJSON_AddNumberToObject(sy, "hidden", l->rbm.H);
  cJSON_AddStringToObject(sy, "weights", c->lattice.weights);
  cJSON_AddStringToObject(sy, "symmetry", c->lattice.symmetry);
}

/* Own input keys: the [lattice] section (also read by nqs tomography and nqs exact). */
static const nqs_option own_options[] = {
    {"lattice", "graph", NQS_K_CHOICE, NQS_OPTION_FIELD(lattice.graph), "chain", 0, 0, 0, "chain|square|edges",
     "chain of L sites, L x L square lattice, or the bonds listed in the file of edges"},
    {"lattice", "edges", NQS_K_STRING, NQS_OPTION_FIELD(lattice.edges), "", 0, 0, 0, NULL,
     "graph = edges: a file with one bond per line, \"i j\" or \"i j J_ij\" (sites from 0; relative to the input file)"},
    {"lattice", "length", NQS_K_INT, NQS_OPTION_FIELD(lattice.length), "12", 2, 4096, 0, NULL, "sites per side L"},
    {"lattice", "boundary", NQS_K_CHOICE, NQS_OPTION_FIELD(lattice.boundary), "periodic", 0, 0, 0, "periodic|open", "boundary conditions"},
    {"lattice", "model", NQS_K_CHOICE, NQS_OPTION_FIELD(lattice.model), "tfim", 0, 0, 0, "tfim|heisenberg",
     "tfim: -J sum sz sz - h sum sx; heisenberg: J sum (sx sx + sy sy + delta sz sz) (Pauli matrices)"},
    {"lattice", "J", NQS_K_REAL, NQS_OPTION_FIELD(lattice.J), "1.0", -1e6, 1e6, 0, NULL, "coupling J (nearest neighbours)"},
    {"lattice", "J2", NQS_K_REAL, NQS_OPTION_FIELD(lattice.J2), "0", -1e6, 1e6, 0, NULL,
     "next-nearest-neighbour coupling (J1-J2; chain: i, i+2; square: diagonals); 0 = none"},
    {"lattice", "h", NQS_K_REAL, NQS_OPTION_FIELD(lattice.h), "1.0", -1e6, 1e6, 0, NULL, "tfim: transverse field h"},
    {"lattice", "delta", NQS_K_REAL, NQS_OPTION_FIELD(lattice.delta), "1.0", -1e6, 1e6, 0, NULL, "heisenberg: anisotropy Delta (1 = isotropic XXX)"},
    {"lattice", "ansatz", NQS_K_CHOICE, NQS_OPTION_FIELD(lattice.ansatz), "rbm", 0, 0, 0, "rbm|ffnn",
     "rbm (alpha, weights, symmetry), or ffnn: ln Psi = NN(s), [wavefunction] ffnn_layers and ffnn_activation, real"},
    {"lattice", "alpha", NQS_K_INT, NQS_OPTION_FIELD(lattice.alpha), "1", 1, 64, 0, NULL, "RBM hidden-unit density: H = alpha x sites"},
    {"lattice", "weights", NQS_K_CHOICE, NQS_OPTION_FIELD(lattice.weights), "real", 0, 0, 0, "real|complex",
     "RBM weights: real, or complex (signs and phases without the Marshall rule)"},
    {"lattice", "symmetry", NQS_K_CHOICE, NQS_OPTION_FIELD(lattice.symmetry), "none", 0, 0, 0, "none|translation",
     "RBM: none, or translation (alpha filters shared by all translations; periodic chains and squares)"},
    {"lattice", "marshall", NQS_K_CHOICE, NQS_OPTION_FIELD(lattice.marshall), "yes", 0, 0, 0, "yes|no",
     "heisenberg: Marshall sign rule (bipartite lattices), so a real RBM can hold the ground state"},
    {0}};

const nqs_model_type nqs_model_lattice = {
    .name = "lattice",
    .help = "spin-1/2 model of [lattice] (TFIM, Heisenberg, J1-J2) with an RBM or a network on spins",
    .options = own_options,
    .create = l_create,
    .free = l_free,
    .walker_new = l_walker_new,
    .walker_free = l_walker_free,
    .walker_rng = l_rng,
    .walker_coords = l_coords,
    .walker_start = l_start,
    .walker_init = l_init,
    .sweep = l_sweep,
    .local = l_local,
    .dlogpsi = l_dlogpsi,
    .params_changed = l_changed,
    .param_name = l_name,
    .obs_create = l_obs_create,
    .obs_measure = l_obs_measure,
    .obs_reduce = l_obs_reduce,
    .obs_write = l_obs_write,
    .obs_json = l_obs_json,
    .obs_free = l_obs_free,
    .reference = l_reference,
    .lower_bound = l_reference, /* every reference known here is an exact ground state */
    .describe = l_describe,
};
