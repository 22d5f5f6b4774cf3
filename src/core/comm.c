/* comm.c — MPI collectives behind nqs/core/comm.h, or single-process stand-ins. */
#include <stdlib.h>
#include "nqs/core/comm.h"
#ifdef NQS_HAVE_MPI
#include <mpi.h>
#endif

struct nqs_comm {
#ifdef NQS_HAVE_MPI
  MPI_Comm comm;
#endif
  int rank, size;
};

int nqs_comm_have_mpi(void) {
#ifdef NQS_HAVE_MPI
  return 1;
#else
  return 0;
#endif
}

nqs_comm *nqs_comm_world(nqs_error *err) {
#ifdef NQS_HAVE_MPI
  int init = 0;
  MPI_Initialized(&init);
  if (!init) {
    nqs_error_set(err, NQS_EINPUT, "MPI is not initialised: call MPI_Init before nqs_comm_world");
    return NULL;
  }
  nqs_comm *c = malloc(sizeof *c);
  if (!c) {
    nqs_error_set(err, NQS_ENOMEM, "out of memory");
    return NULL;
  }
  c->comm = MPI_COMM_WORLD;
  MPI_Comm_rank(c->comm, &c->rank);
  MPI_Comm_size(c->comm, &c->size);
  return c;
#else
  nqs_error_set(err, NQS_EINPUT, "this nqs was built without MPI (install libopenmpi-dev and rebuild)");
  return NULL;
#endif
}

void nqs_comm_free(nqs_comm *c) { free(c); }
int nqs_comm_rank(const nqs_comm *c) { return c ? c->rank : 0; }
int nqs_comm_size(const nqs_comm *c) { return c ? c->size : 1; }

void nqs_comm_walkers(const nqs_comm *c, int total, int *first, int *count) {
  const long r = nqs_comm_rank(c), k = nqs_comm_size(c);
  *first = (int)(r * total / k);
  *count = (int)((r + 1) * total / k) - *first;
}

nqs_status nqs_comm_sum(const nqs_comm *c, double *buf, long n, nqs_error *err) {
  if (!c || c->size == 1 || n <= 0) return NQS_OK;
#ifdef NQS_HAVE_MPI
  /* in pieces: MPI counts are ints */
  for (long off = 0; off < n; off += 1L << 28) {
    const int m = (int)(n - off < (1L << 28) ? n - off : (1L << 28));
    if (MPI_Allreduce(MPI_IN_PLACE, buf + off, m, MPI_DOUBLE, MPI_SUM, c->comm) != MPI_SUCCESS)
      return nqs_error_set(err, NQS_ERUNTIME, "MPI_Allreduce of %ld values failed", n);
  }
#endif
  (void)buf;
  (void)err;
  return NQS_OK;
}

nqs_status nqs_comm_sum_u64(const nqs_comm *c, uint64_t *buf, long n, nqs_error *err) {
  if (!c || c->size == 1 || n <= 0) return NQS_OK;
#ifdef NQS_HAVE_MPI
  if (MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_UINT64_T, MPI_SUM, c->comm) != MPI_SUCCESS)
    return nqs_error_set(err, NQS_ERUNTIME, "MPI_Allreduce of %ld values failed", n);
#endif
  (void)buf;
  (void)err;
  return NQS_OK;
}

nqs_status nqs_comm_agree(const nqs_comm *c, nqs_status st, nqs_error *err) {
  if (!c || c->size == 1) return st;
#ifdef NQS_HAVE_MPI
  int mine = (int)st, worst = 0;
  MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, c->comm);
  if (worst != 0 && st == NQS_OK)
    return nqs_error_set(err, NQS_ERUNTIME, "another MPI rank failed (its message is on its standard error)");
#endif
  return st;
}
