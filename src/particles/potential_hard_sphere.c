/* potential_hard_sphere.c — hard spheres of radius a: V = infinity for r < a, 0 beyond.
 *
 * The wave function must vanish inside the core (the hardcore factor does it), so V is never
 * evaluated there on an accepted configuration; the energy is all kinetic and trap. The virial
 * theorem gets a contact term (the pair density at r = a) that VMC samples do not resolve: no
 * virial check. */
#include <math.h>
#include "nqs/core/config.h"
#include "nqs/particles/potential.h"

static double hs_pair(const double *p, double r2) { return r2 < p[0] * p[0] ? INFINITY : 0.0; }
static double hs_core(const double *p) { return p[0]; }

static const nqs_option hs_options[] = {
    {"system", "core_radius", NQS_K_REAL, NQS_OPTION_SLOT(0), "0.0043", 0, 1e3, 0, NULL,
     "interaction = hard_sphere: the hard-sphere radius a (trap units); Psi must vanish for r < a (factor hardcore)"},
    {NULL, NULL, 0, 0, 0, NULL, 0, 0, 0, NULL, NULL}};

const nqs_potential_type nqs_potential_hard_sphere = {.name = "hard_sphere",
                                                      .help = "hard spheres of radius core_radius",
                                                      .pair = hs_pair,
                                                      .virial_power = NAN,
                                                      .min_dim = 1,
                                                      .repulsive = 1,
                                                      .core = hs_core,
                                                      .options = hs_options};
