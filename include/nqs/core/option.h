/* nqs/core/option.h — one input key, as declared in an option table.
 *
 * The core keys live in src/core/config.c's table; registry entries (potentials, ...) declare their
 * own keys beside their code, as real numbers stored in one of the configuration's registry slots
 * (NQS_OPTION_SLOT(k), k unique over all registries: tests/test_config_registry checks it).
 * Parsing, validation, defaults, --help and config.ini treat both alike. */
#ifndef NQS_OPTION_H
#define NQS_OPTION_H
#include <stddef.h>

typedef enum { NQS_K_INT, NQS_K_LONG, NQS_K_U64, NQS_K_REAL, NQS_K_CHOICE, NQS_K_LIST, NQS_K_STRING } nqs_option_kind;

typedef struct nqs_option {
  const char *section, *key;
  nqs_option_kind kind;
  size_t offset, size; /* where the value lives in nqs_config */
  const char *def;
  double min, max;     /* numeric bounds, inclusive unless min_open */
  int min_open;
  const char *choices; /* "a|b|c" for choices and list items, or "@registry" (@model, @factor, @sampler, @update, @potential) */
  const char *help;
} nqs_option;

/* offset and size of a member of nqs_config (for rows declared outside config.c) */
#define NQS_OPTION_FIELD(member) offsetof(struct nqs_config, member), sizeof(((struct nqs_config *)0)->member)

#define NQS_REGISTRY_SLOTS 16
/* offset and size of registry slot k in nqs_config (a double) */
#define NQS_OPTION_SLOT(k) (offsetof(struct nqs_config, registry) + (size_t)(k) * sizeof(double)), sizeof(double)

#endif
