/* system.c — harmonic trap, interactions, closed shells, reference energies. */
#include <math.h>
#include <stddef.h>
#include "nqs/particles/system.h"

int nqs_shell_orbitals(int dim, int shells) {
  int total = 0;
  for (int s = 0; s < shells; s++) {
    int g = 1; /* degeneracy binom(s + d - 1, d - 1) */
    if (dim == 2) g = s + 1;
    if (dim == 3) g = (s + 1) * (s + 2) / 2;
    total += g;
  }
  return total;
}

int nqs_closed_shells(int dim, int n_per_spin) {
  for (int shells = 1; shells <= 64; shells++) {
    int m = nqs_shell_orbitals(dim, shells);
    if (m == n_per_spin) return shells;
    if (m > n_per_spin) return -1;
  }
  return -1;
}

nqs_status nqs_system_init(nqs_system *sys, int dim, int n, nqs_statistics st, nqs_interaction in,
                           double omega, double lambda, nqs_error *err) {
  if (dim < 1 || dim > NQS_MAX_DIM)
    return nqs_error_setk(err, NQS_EINPUT, "system.dimensions", "dimensions = %d: allowed 1, 2 or 3", dim);
  if (n < 1) return nqs_error_setk(err, NQS_EINPUT, "system.particles", "particles = %d: must be at least 1", n);
  if (!(omega > 0) || !isfinite(omega))
    return nqs_error_setk(err, NQS_EINPUT, "system.omega", "omega = %g: the trap frequency must be a finite number > 0", omega);
  if (!(lambda > 0) || !isfinite(lambda))
    return nqs_error_setk(err, NQS_EINPUT, "system.lambda", "lambda = %g: the frequency ratio must be a finite number > 0", lambda);
  if (dim == 1 && lambda != 1.0)
    return nqs_error_setk(err, NQS_EINPUT, "system.lambda", "lambda = %g: an elliptic trap needs dimensions = 2 or 3 (use lambda = 1 in 1D)", lambda);
  sys->dim = dim;
  sys->n = n;
  sys->statistics = st;
  nqs_status pst = nqs_system_set_potential(sys, in == NQS_INTERACTION_COULOMB ? &nqs_potential_coulomb : &nqs_potential_none,
                                            NULL, err);
  if (pst) return pst;
  sys->omega = omega;
  sys->lambda = lambda;
  sys->n_up = n;
  if (st == NQS_FERMIONS) {
    if (lambda != 1.0)
      return nqs_error_setk(err, NQS_EINPUT, "system.lambda",
                           "lambda = %g with fermions: closed-shell Slater determinants need an isotropic trap (lambda = 1); "
                           "elliptic traps are for bosons and distinguishable particles", lambda);
    if (n % 2 != 0 || nqs_closed_shells(dim, n / 2) < 0) {
      int ok[8], k = 0;
      for (int s = 1; s <= 8 && k < 8; s++) ok[k++] = 2 * nqs_shell_orbitals(dim, s);
      return nqs_error_setk(err, NQS_EINPUT, "system.particles",
                           "particles = %d is not a closed shell of spin-1/2 fermions in %dD; allowed: %d, %d, %d, %d, %d, %d, %d, ...",
                           n, dim, ok[0], ok[1], ok[2], ok[3], ok[4], ok[5], ok[6]);
    }
    sys->n_up = n / 2;
  }
  return NQS_OK;
}

double nqs_system_v_trap(const nqs_system *sys, const double *x) {
  const int d = sys->dim;
  const double w2 = sys->omega * sys->omega, l2 = sys->lambda * sys->lambda;
  double v = 0;
  for (int i = 0; i < sys->n; i++) {
    for (int k = 0; k < d; k++) {
      double c = (k == d - 1 && d > 1) ? l2 : 1.0;
      v += c * x[i * d + k] * x[i * d + k];
    }
  }
  return 0.5 * w2 * v;
}

nqs_status nqs_system_set_potential(nqs_system *sys, const nqs_potential_type *pot, const double *params, nqs_error *err) {
  if (sys->dim < pot->min_dim)
    return nqs_error_setk(err, NQS_EINPUT, "system.interaction",
                          "interaction = %s in %dD: the potential is not integrable at contact; use dimensions >= %d or another interaction",
                          pot->name, sys->dim, pot->min_dim);
  sys->pot = pot;
  for (int k = 0; k < NQS_POT_PARAMS; k++) sys->pot_param[k] = params ? params[k] : 0.0;
  sys->core = pot->core ? pot->core(sys->pot_param) : 0.0;
  return NQS_OK;
}

double nqs_system_virial(const nqs_system *sys, double kinetic, double v_trap, double v_int) {
  return 2 * kinetic - 2 * v_trap - sys->pot->virial_power * v_int;
}

double nqs_system_v_int(const nqs_system *sys, const double *x) {
  if (sys->pot == &nqs_potential_none) return 0.0;
  const int d = sys->dim;
  double v = 0;
  for (int i = 0; i < sys->n; i++)
    for (int j = i + 1; j < sys->n; j++) {
      double r2 = 0;
      for (int k = 0; k < d; k++) {
        double dx = x[i * d + k] - x[j * d + k];
        r2 += dx * dx;
      }
      v += sys->pot->pair(sys->pot_param, r2);
    }
  return v;
}

/* Closed-shell 2D dots: DMC from J. Hogberget, MSc thesis, Univ. Oslo (2013),
 * agreeing with Pedersen Lohne et al., PRB 84, 115302 (2011). See shared/REFERENCES.md. */
static const struct { int n; double omega, e; } dmc2d[] = {
    {6, 1.0, 20.15932},  {6, 0.5, 11.78484},  {12, 1.0, 65.7001},   {12, 0.5, 39.1596},
    {20, 1.0, 155.8822}, {20, 0.5, 93.8752},  {30, 1.0, 308.5627},  {30, 0.5, 187.0426},
    {42, 1.0, 542.9428}, {42, 0.5, 330.6306}, {56, 1.0, 879.3986},  {56, 0.5, 537.353},
    {2, 0.5, 1.65977},
};

static int same(double a, double b) { return fabs(a - b) < 1e-12 * fabs(b); }

/* The ground-state energy without interaction: every boson in the lowest level, or spin-1/2
 * fermions filling closed shells of the isotropic trap. 0 where it is not known here. */
static int free_energy(const nqs_system *sys, double *value) {
  const int d = sys->dim, n = sys->n;
  const double w = sys->omega;
  if (sys->statistics != NQS_FERMIONS) {
    double per = (d > 1) ? 0.5 * (d - 1) + 0.5 * sys->lambda : 0.5;
    *value = n * w * per;
    return 1;
  }
  int shells = nqs_closed_shells(d, n / 2);
  if (shells < 0 || sys->lambda != 1.0) return 0;
  double e = 0;
  for (int s = 0; s < shells; s++) {
    int g = nqs_shell_orbitals(d, s + 1) - nqs_shell_orbitals(d, s);
    e += 2.0 * g * (s + 0.5 * d);
  }
  *value = e * w;
  return 1;
}

/* Exactly known ground-state energies. */
static int exact_reference(const nqs_system *sys, double *value, const char **source) {
  const int d = sys->dim, n = sys->n;
  const double w = sys->omega;
  if (sys->pot == &nqs_potential_none) {
    *source = "exact (non-interacting)";
    return free_energy(sys, value);
  }
  if (sys->statistics == NQS_FERMIONS && n == 2) {
    if (d == 2 && same(w, 1.0)) { *value = 3.0; *source = "exact (Taut, J. Phys. A 27, 1045 (1994))"; return 1; }
    if (d == 2 && same(w, 1.0 / 6.0)) { *value = 2.0 / 3.0; *source = "exact (Taut 1994)"; return 1; }
    if (d == 3 && same(w, 0.5)) { *value = 2.0; *source = "exact (Taut, PRA 48, 3561 (1993))"; return 1; }
  }
  return 0;
}

int nqs_system_reference(const nqs_system *sys, double *value, const char **source) {
  if (exact_reference(sys, value, source)) return 1;
  if (sys->statistics == NQS_FERMIONS && sys->dim == 2) {
    for (size_t i = 0; i < sizeof dmc2d / sizeof dmc2d[0]; i++)
      if (dmc2d[i].n == sys->n && same(sys->omega, dmc2d[i].omega)) {
        *value = dmc2d[i].e;
        *source = "DMC (Hogberget 2013; Pedersen Lohne et al. 2011)";
        return 1;
      }
  }
  return 0;
}

int nqs_system_lower_bound(const nqs_system *sys, double *value, const char **source) {
  if (exact_reference(sys, value, source)) return 1;
  if (!sys->pot->repulsive || !free_energy(sys, value)) return 0;
  *source = "the non-interacting energy: the interaction is repulsive";
  return 1;
}
