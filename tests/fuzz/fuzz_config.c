/* Fuzz target: the input-file path. Any bytes are parsed as an input file; what is accepted must
 * write a config.ini that reads back to the same text (the resolved configuration is itself a
 * valid input), and its keys must pass or fail the command's key check without crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/nqs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  nqs_config c, again;
  nqs_config_defaults(&c);
  nqs_error err;
  if (nqs_config_read_text(&c, text, "fuzz.ini", &err) == NQS_OK) {
    char *ini = nqs_config_text(&c, "run");
    nqs_config_defaults(&again);
    if (ini && nqs_config_read_text(&again, ini, "config.ini", &err) == NQS_OK) {
      char *twice = nqs_config_text(&again, "run");
      if (twice && strcmp(ini, twice) != 0) abort(); /* config.ini must reproduce itself */
      free(twice);
    } else if (ini) {
      abort(); /* an accepted input whose config.ini is refused */
    }
    free(ini);
    nqs_config_check_keys(&c, "run", &err);
  }
  free(text);
  return 0;
}
