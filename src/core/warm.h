/* warm.h — start a model's parameters from another run's checkpoint, by parameter name
 * (private to the driver). */
#ifndef NQS_WARM_H
#define NQS_WARM_H
#include "nqs/core/config.h"
#include "nqs/core/model.h"

/* Copy into m->params every parameter the checkpoint in run folder `dir` (or file) has under
 * the same name, or under the same name with another factor's prefix when that factor is not
 * in m (slater.alpha -> backflow.alpha). The run must be of the same system (type, dimensions,
 * particles, statistics; lattice: graph and length); the trap frequency and the interaction
 * may differ. *matched: parameters copied. NQS_EINPUT when the folder is unusable or nothing
 * matches. */
nqs_status nqs_warm_start(nqs_model *m, const nqs_config *c, const char *dir, int *matched, nqs_error *err);

#endif
