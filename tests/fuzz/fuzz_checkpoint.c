/* Fuzz target: the checkpoint reader. Inputs whose first byte is even are an HDF5 image: they
 * get a valid nqs header (length, checksum) so that the mutations reach libhdf5 and the record
 * checks; odd ones are a whole file, header included. A parsed checkpoint is then asked for
 * records the way a restart asks, and restored into a driver of the demo configuration. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nqs/nqs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const int sealed = (data[0] & 1) == 0;
  const size_t len = sealed ? size - 1 + NQS_CHECKPOINT_USERBLOCK : size - 1;
  unsigned char *img = malloc(len + 1);
  if (!img) return 0;
  memcpy(img + (sealed ? NQS_CHECKPOINT_USERBLOCK : 0), data + 1, size - 1);
  if (sealed) nqs_checkpoint_seal(img, len);
  nqs_checkpoint ck;
  nqs_error err;
  if (nqs_checkpoint_parse("fuzz.h5", img, len, &ck, &err) == NQS_OK) {
    nqs_config c;
    nqs_config_defaults(&c);
    long it;
    nqs_checkpoint_count(&ck, "iteration", 0, 1000000000L, &it, &err);
    if (nqs_checkpoint_expect(&ck, "vmc", "fuzz", &err) == NQS_OK &&
        nqs_config_read_text(&c, nqs_checkpoint_text(&ck, "config"), "fuzz [config]", &err) == NQS_OK) {
      nqs_config demo;
      nqs_config_defaults(&demo); /* restore into the demo only: a fuzzed config could ask for anything */
      demo.sampler.thermalization = 0;
      demo.run.threads = 1;
      nqs_driver_options o = {.restart = &ck};
      nqs_driver_free(nqs_driver_create(&demo, &o, &err));
    }
    nqs_checkpoint_free(&ck);
  }
  free(img);
  return 0;
}
