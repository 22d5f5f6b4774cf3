/* model.c — the model registry: [system] type names one of these. */
#include <string.h>
#include "nqs/core/model.h"

const nqs_model_type *const nqs_model_types[] = {&nqs_model_particles, &nqs_model_lattice, &nqs_model_nucleus, NULL};

const nqs_model_type *nqs_model_type_find(const char *name) {
  for (int i = 0; name && nqs_model_types[i]; i++)
    if (strcmp(nqs_model_types[i]->name, name) == 0) return nqs_model_types[i];
  return NULL;
}

const char *nqs_model_type_name(int i) { return nqs_model_types[i] ? nqs_model_types[i]->name : NULL; }

nqs_model *nqs_model_create(const nqs_config *c, nqs_error *err) {
  const nqs_model_type *t = nqs_model_type_find(c->system.type);
  if (!t) {
    nqs_error_setk(err, NQS_EINPUT, "system.type", "unknown system type '%s'", c->system.type);
    return NULL;
  }
  return t->create(c, err);
}

void nqs_model_free(nqs_model *m) {
  if (m) m->type->free(m);
}
