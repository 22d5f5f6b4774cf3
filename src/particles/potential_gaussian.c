/* potential_gaussian.c — a Gaussian pair potential V(r) = V0 exp(-r^2 / (2 r0^2)), the smooth
 * model of a short-range interaction (repulsive for V0 > 0). Not homogeneous: no virial check. */
#include <math.h>
#include "nqs/core/config.h"
#include "nqs/particles/potential.h"

static double g_pair(const double *p, double r2) { return p[0] * exp(-r2 / (2 * p[1] * p[1])); }

static const nqs_option g_options[] = {
    {"system", "gaussian_v0", NQS_K_REAL, NQS_OPTION_SLOT(1), "1.0", -1e6, 1e6, 0, NULL,
     "interaction = gaussian: the strength V0 of V0 exp(-r^2 / (2 r0^2))"},
    {"system", "gaussian_r0", NQS_K_REAL, NQS_OPTION_SLOT(2), "0.5", 0, 1e3, 1, NULL, "interaction = gaussian: the range r0"},
    {NULL, NULL, 0, 0, 0, NULL, 0, 0, 0, NULL, NULL}};

const nqs_potential_type nqs_potential_gaussian = {.name = "gaussian",
                                                   .help = "Gaussian V0 exp(-r^2/(2 r0^2))",
                                                   .pair = g_pair,
                                                   .virial_power = NAN,
                                                   .min_dim = 1,
                                                   .repulsive = 0,
                                                   .options = g_options};
