/* h5attr.h — string attributes on HDF5 objects (library-internal). */
#ifndef NQS_H5ATTR_H
#define NQS_H5ATTR_H
#include <hdf5.h>

/* A scalar, variable-length UTF-8 string attribute (h5py reads it as a str); < 0 on failure. */
herr_t nqs_h5_attribute(hid_t obj, const char *name, const char *text);

#endif
