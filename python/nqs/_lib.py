"""Finding and declaring libnqs (the handle interface of nqs/core/handle.h)."""
import ctypes
import ctypes.util
import os

_HERE = os.path.dirname(os.path.abspath(__file__))


class NqsError(Exception):
    """A failure reported by libnqs: the message names the cause and the fix; `key` is the input
    key at fault ("system.particles") or ""; `status` the nqs status name."""

    def __init__(self, message, key="", status="error"):
        super().__init__(message)
        self.key = key
        self.status = status


_STATUS = {1: "runtime failure", 2: "bad input", 3: "I/O error", 4: "out of memory", 5: "failed health check"}


def _candidates():
    env = os.environ.get("NQS_LIBRARY")
    if env:
        yield env
    try:  # written by `make install` next to this file
        from ._install import LIBRARY
        yield LIBRARY
    except ImportError:
        pass
    for build in ("build", "build-asan"):  # the source tree: python/nqs -> ../../build
        yield os.path.join(_HERE, "..", "..", build, "libnqs.so")
    found = ctypes.util.find_library("nqs")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("cannot find libnqs.so: build it (make build), install it (make install), or point "
                      "NQS_LIBRARY at it; tried: " + "; ".join(tried or ["nothing"]))


lib = _load()
_P, _D, _L, _I, _S = ctypes.c_void_p, ctypes.POINTER(ctypes.c_double), ctypes.c_long, ctypes.c_int, ctypes.c_char_p
for name, res, args in [
    ("nqs_handle_new", _P, []), ("nqs_handle_free", None, [_P]),
    ("nqs_handle_error", _S, [_P]), ("nqs_handle_error_key", _S, [_P]),
    ("nqs_handle_read", _I, [_P, _S]), ("nqs_handle_read_text", _I, [_P, _S]), ("nqs_handle_set", _I, [_P, _S]),
    ("nqs_handle_config", _S, [_P]), ("nqs_handle_load", _I, [_P, _S]), ("nqs_handle_start", _I, [_P]),
    ("nqs_handle_step", _I, [_P, _D]), ("nqs_handle_iteration", _L, [_P]), ("nqs_handle_evaluate", _I, [_P, _D]),
    ("nqs_handle_run", _I, [_P, _S, _D]), ("nqs_handle_run_dir", _S, [_P]),
    ("nqs_handle_series_count", _I, [_P]), ("nqs_handle_series_name", _S, [_P, _I]),
    ("nqs_handle_estimate", _I, [_P, _I, _D]), ("nqs_handle_unit", _S, [_P, _I]),
    ("nqs_handle_nparams", _I, [_P]), ("nqs_handle_trace_length", _L, [_P]),
    ("nqs_handle_sample_rows", _L, [_P, ctypes.POINTER(_I)]),
    ("nqs_handle_params", _L, [_P, _D, _L]), ("nqs_handle_trace", _L, [_P, _I, _D, _L]),
    ("nqs_handle_samples", _L, [_P, _D, _L]), ("nqs_handle_param_name", _S, [_P, _I]),
    ("nqs_version", _S, []),
]:
    f = getattr(lib, name)
    f.restype, f.argtypes = res, args


def version():
    return lib.nqs_version().decode()


def check(h, status):
    """Raise NqsError with the library's message when status is not 0 (NQS_OK)."""
    if status:
        raise NqsError(lib.nqs_handle_error(h).decode(), lib.nqs_handle_error_key(h).decode(),
                       _STATUS.get(status, "error %d" % status))
