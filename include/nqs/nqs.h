/* nqs/nqs.h — umbrella header of libnqs. */
#ifndef NQS_H
#define NQS_H
#define NQS_VERSION "0.1.0"
#include "nqs/checkpoint.h"
#include "nqs/comm.h"
#include "nqs/config.h"
#include "nqs/error.h"
#include "nqs/factor.h"
#include "nqs/lattice.h"
#include "nqs/mlp.h"
#include "nqs/optimizer.h"
#include "nqs/rbm.h"
#include "nqs/rng.h"
#include "nqs/observables.h"
#include "nqs/run.h"
#include "nqs/sampler.h"
#include "nqs/spin.h"
#include "nqs/sr.h"
#include "nqs/stats.h"
#include "nqs/system.h"
#include "nqs/vmc.h"
#include "nqs/wavefunction.h"
#endif
