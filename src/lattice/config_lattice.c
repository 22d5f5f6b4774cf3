/* config_lattice.c — the [lattice] section as a spin model (nqs/lattice/lattice.h). */
#include <string.h>
#include "nqs/core/config.h"
#include "nqs/lattice/lattice.h"

nqs_status nqs_config_spin_system(const nqs_config *c, nqs_spin_system *s, nqs_error *err) {
  memset(s, 0, sizeof *s); /* safe to free whatever happens below */
  const nqs_spin_model model = strcmp(c->lattice.model, "tfim") == 0 ? NQS_MODEL_TFIM : NQS_MODEL_HEISENBERG;
  if (strcmp(c->lattice.graph, "edges") == 0) {
    if (!c->lattice.edges[0])
      return nqs_error_setk(err, NQS_EINPUT, "lattice.graph", "graph = edges needs the file: set [lattice] edges = FILE");
    if (c->lattice.J2 != 0)
      return nqs_error_setk(err, NQS_EINPUT, "lattice.J2", "an edge list carries its own couplings (\"i j J_ij\"): set J2 = 0");
    if (strcmp(c->lattice.symmetry, "none") != 0)
      return nqs_error_setk(err, NQS_EINPUT, "lattice.symmetry", "an edge list has no translations: set symmetry = none");
    return nqs_spin_system_from_edges(s, c->lattice.edges, model, c->lattice.J, c->lattice.h, c->lattice.delta, err);
  }
  if (strcmp(c->lattice.ansatz, "ffnn") == 0 && strcmp(c->lattice.weights, "real") != 0)
    return nqs_error_setk(err, NQS_EINPUT, "lattice.weights", "the network on spins is real: set weights = real (with marshall = yes for heisenberg)");
  if (strcmp(c->lattice.ansatz, "ffnn") == 0 && strcmp(c->lattice.symmetry, "none") != 0)
    return nqs_error_setk(err, NQS_EINPUT, "lattice.symmetry", "translation symmetry is an RBM option: set symmetry = none with ansatz = ffnn");
  const int periodic = strcmp(c->lattice.boundary, "periodic") == 0;
  if (!periodic && strcmp(c->lattice.symmetry, "translation") == 0)
    return nqs_error_setk(err, NQS_EINPUT, "lattice.symmetry", "open boundaries break translation symmetry: set symmetry = none");
  return nqs_spin_system_init(s, strcmp(c->lattice.graph, "chain") == 0 ? 1 : 2, c->lattice.length, periodic, model,
                              c->lattice.J, c->lattice.J2, c->lattice.h, c->lattice.delta, err);
}

