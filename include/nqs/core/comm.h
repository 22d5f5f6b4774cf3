/* nqs/core/comm.h — the processes of one run (MPI ranks) and the collectives nqs needs.
 *
 * Walkers are split over ranks in contiguous blocks of global walker indices;
 * each walker's RNG stream comes from (seed, global index), so the Markov chains
 * do not depend on the split. Every per-walker quantity is written at its
 * global position in a buffer that is zero elsewhere, and the buffers are
 * summed over ranks: adding zeros is exact, so every rank ends with the very
 * numbers a single process would have, and all reductions then run in one fixed
 * order. Results are bitwise identical for any split of a fixed number of
 * walkers over ranks and threads (tests/test_parallel.sh), as long as the BLAS
 * library runs with the same number of its own threads: OpenBLAS splits the SR
 * matrix product by its thread count, which changes the round-off.
 *
 * A NULL comm, or a build without MPI, is one process: the calls do nothing. */
#ifndef NQS_COMM_H
#define NQS_COMM_H
#include <stdint.h>
#include "nqs/core/error.h"

typedef struct nqs_comm nqs_comm;

/* MPI_COMM_WORLD; MPI must be initialised by the program. NULL (and an error)
 * in a build without MPI. */
nqs_comm *nqs_comm_world(nqs_error *err);
void nqs_comm_free(nqs_comm *c);
int nqs_comm_rank(const nqs_comm *c);
int nqs_comm_size(const nqs_comm *c);
int nqs_comm_have_mpi(void);

/* In-place sums over ranks of buffers whose entries each rank owns disjointly. */
nqs_status nqs_comm_sum(const nqs_comm *c, double *buf, long n, nqs_error *err);
nqs_status nqs_comm_sum_u64(const nqs_comm *c, uint64_t *buf, long n, nqs_error *err);

/* The worst status over ranks: a rank that succeeded while another failed gets
 * NQS_ERUNTIME with a message pointing at the other rank. */
nqs_status nqs_comm_agree(const nqs_comm *c, nqs_status st, nqs_error *err);

/* Contiguous block of global walkers owned by this rank: [*first, *first + *count). */
void nqs_comm_walkers(const nqs_comm *c, int total, int *first, int *count);

#endif
