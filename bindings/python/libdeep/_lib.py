"""Loading the shared library and declaring the C functions (ctypes, no compiler needed).

Lookup order:
  1. the LIBDEEP_LIBRARY environment variable, a path (or soname) given to dlopen as is;
  2. ctypes.util.find_library("deep") (the ldconfig cache: an installed library);
  3. "libdeep.so.0", leaving the search to the dynamic loader (LD_LIBRARY_PATH, ...).

Every function is declared with its argtypes and restype. Functions returning deep_status
get an errcheck that turns a failure into a libdeep.Error subclass carrying
deep_status_string() and deep_last_error(); errcheck runs right after the call on the same
thread, so the thread-local message is the one of this call.

Handles and array buffers are passed as c_void_p (plain addresses); the Python classes
around them make sure no handle of the wrong type or a freed one is ever passed.
"""

import ctypes
import ctypes.util
import os

from . import errors
from ._version import REQUIRED_MAJOR, REQUIRED_MINOR



class c_status(ctypes.c_int):
    """deep_status: a distinct type so that _declare can tell it from int32_t results."""
c_enum = ctypes.c_int
i32 = ctypes.c_int32
i64 = ctypes.c_int64
u64 = ctypes.c_uint64
f32 = ctypes.c_float
f64 = ctypes.c_double
ptr = ctypes.c_void_p  # handles and array buffers
out_ptr = ctypes.POINTER(ctypes.c_void_p)  # deep_x **out
p_i32 = ctypes.POINTER(i32)
p_i64 = ctypes.POINTER(i64)
p_u64 = ctypes.POINTER(u64)
p_f32 = ctypes.POINTER(f32)
p_f64 = ctypes.POINTER(f64)
p_f32_ptr = ctypes.POINTER(ctypes.c_void_p)  # const float **data
cstr = ctypes.c_char_p

LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)
BATCH_FN = ctypes.CFUNCTYPE(i32, ctypes.c_void_p, i32, i64, f64)
EPOCH_FN = ctypes.CFUNCTYPE(i32, ctypes.c_void_p, ctypes.c_void_p, i32)

# name: (restype, [argtypes]); restype c_status means "check the status".
_FUNCTIONS = {
    # versions, errors, memory
    "deep_version_string": (cstr, []),
    "deep_version_number": (i32, []),
    "deep_status_string": (cstr, [c_status]),
    "deep_last_error": (cstr, []),
    "deep_clear_error": (None, []),
    "deep_free": (None, [ptr]),
    "deep_cpu_count": (i32, []),
    # tensors
    "deep_tensor_new": (c_status, [i32, ptr, out_ptr]),
    "deep_tensor_new_from": (c_status, [i32, ptr, ptr, i64, out_ptr]),
    "deep_tensor_free": (None, [ptr]),
    "deep_tensor_rank": (c_status, [ptr, p_i32]),
    "deep_tensor_shape": (c_status, [ptr, ptr, i32]),
    "deep_tensor_size": (c_status, [ptr, p_i64]),
    "deep_tensor_data": (c_status, [ptr, p_f32_ptr]),
    "deep_tensor_data_mut": (c_status, [ptr, p_f32_ptr]),
    # datasets
    "deep_dataset_new": (c_status, [i64, i32, ptr, ptr, out_ptr]),
    "deep_dataset_free": (None, [ptr]),
    "deep_dataset_load_idx": (c_status, [cstr, cstr, out_ptr]),
    "deep_dataset_load_cifar10": (c_status, [ptr, i32, out_ptr]),
    "deep_dataset_load_csv": (c_status, [cstr, cstr, out_ptr]),
    "deep_dataset_write_csv": (c_status, [ptr, cstr]),
    "deep_dataset_set_labels": (c_status, [ptr, ptr, i64, i32]),
    "deep_dataset_set_targets": (c_status, [ptr, ptr, i64, i64]),
    "deep_dataset_count": (c_status, [ptr, p_i64]),
    "deep_dataset_sample_shape": (c_status, [ptr, ptr, i32, p_i32]),
    "deep_dataset_reshape": (c_status, [ptr, i32, ptr]),
    "deep_dataset_num_classes": (c_status, [ptr, p_i32]),
    "deep_dataset_labels": (c_status, [ptr, ptr, i64]),
    "deep_dataset_target_width": (c_status, [ptr, p_i64]),
    "deep_dataset_features": (c_status, [ptr, out_ptr]),
    "deep_dataset_batch": (c_status, [ptr, i64, i64, out_ptr, out_ptr]),
    "deep_dataset_to_categorical": (c_status, [ptr]),
    "deep_dataset_scale": (c_status, [ptr, f32, f32]),
    "deep_dataset_standardize": (c_status, [ptr, ptr]),
    "deep_dataset_minmax_scale": (c_status, [ptr, ptr]),
    "deep_dataset_shuffle": (c_status, [ptr, u64]),
    "deep_dataset_subset": (c_status, [ptr, ptr, i64, out_ptr]),
    "deep_dataset_split": (c_status, [ptr, f64, u64, i32, out_ptr, out_ptr]),
    "deep_dataset_column_name": (c_status, [ptr, i64, ptr, i64]),
    "deep_dataset_class_name": (c_status, [ptr, i32, ptr, i64]),
    "deep_dataset_missing_count": (c_status, [ptr, i64, p_i64]),
    "deep_dataset_fill_missing": (c_status, [ptr, c_enum, ptr]),
    "deep_dataset_drop_missing": (c_status, [ptr]),
    "deep_dataset_describe": (c_status, [ptr, i64, c_enum, p_f64]),
    "deep_dataset_describe_text": (c_status, [ptr, ptr, i64, p_i64]),
    "deep_dataset_concat": (c_status, [ptr, ptr, out_ptr]),
    "deep_dataset_use_classes": (c_status, [ptr, ptr]),
    "deep_kfold_indices": (c_status, [i64, i32, i32, i32, u64, ptr, i64, p_i64, ptr, i64, p_i64]),
    # metrics
    "deep_metric_accuracy": (c_status, [ptr, ptr, i64, p_f64]),
    "deep_metric_confusion_matrix": (c_status, [ptr, ptr, i64, i32, ptr]),
    "deep_metric_precision_recall_f1": (c_status, [ptr, ptr, i64, i32, ptr, ptr, ptr, p_f64, p_f64, p_f64]),
    # optimizers
    "deep_optimizer_new": (c_status, [c_enum, out_ptr]),
    "deep_optimizer_free": (None, [ptr]),
    "deep_optimizer_set_float": (c_status, [ptr, c_enum, f32]),
    "deep_optimizer_get_float": (c_status, [ptr, c_enum, p_f32]),
    # models
    "deep_model_new": (c_status, [i32, ptr, out_ptr]),
    "deep_model_free": (None, [ptr]),
    "deep_model_add_dense": (c_status, [ptr, i64, c_enum, i32]),
    "deep_model_add_activation": (c_status, [ptr, c_enum]),
    "deep_model_add_dropout": (c_status, [ptr, f64]),
    "deep_model_add_flatten": (c_status, [ptr]),
    "deep_model_add_reshape": (c_status, [ptr, i32, ptr]),
    "deep_model_add_conv2d": (c_status, [ptr, i64, i64, i64, i64, i64, c_enum, c_enum, i32]),
    "deep_model_add_max_pooling2d": (c_status, [ptr, i64, i64, i64, i64, c_enum]),
    "deep_model_add_average_pooling2d": (c_status, [ptr, i64, i64, i64, i64, c_enum]),
    "deep_model_add_global_average_pooling2d": (c_status, [ptr]),
    "deep_model_add_batch_normalization": (c_status, [ptr, f64, f64]),
    "deep_model_add_embedding": (c_status, [ptr, i64, i64, i64]),
    "deep_model_add_masking": (c_status, [ptr, f64]),
    "deep_model_add_lstm": (c_status, [ptr, i64, c_enum, c_enum, i32, i32]),
    "deep_model_add_gru": (c_status, [ptr, i64, c_enum, c_enum, i32, i32]),
    "deep_model_add_simple_rnn": (c_status, [ptr, i64, c_enum, i32, i32]),
    "deep_model_add_bidirectional": (c_status, [ptr, c_enum]),
    "deep_model_set_layer_int": (c_status, [ptr, i32, c_enum, i64]),
    "deep_model_set_layer_float": (c_status, [ptr, i32, c_enum, f64]),
    "deep_model_get_layer_int": (c_status, [ptr, i32, c_enum, p_i64]),
    "deep_model_get_layer_float": (c_status, [ptr, i32, c_enum, p_f64]),
    "deep_model_set_seed": (c_status, [ptr, u64]),
    "deep_model_set_int": (c_status, [ptr, c_enum, i64]),
    "deep_model_set_float": (c_status, [ptr, c_enum, f64]),
    "deep_model_get_int": (c_status, [ptr, c_enum, p_i64]),
    "deep_model_set_log": (c_status, [ptr, LOG_FN, ptr]),
    "deep_model_set_callbacks": (c_status, [ptr, BATCH_FN, EPOCH_FN, ptr]),
    "deep_model_compile": (c_status, [ptr, ptr, c_enum, ptr, i32]),
    "deep_model_optimizer": (c_status, [ptr, out_ptr]),
    "deep_model_fit": (c_status, [ptr, ptr, i32, i32, ptr]),
    "deep_model_history_length": (c_status, [ptr, p_i32]),
    "deep_model_history": (c_status, [ptr, i32, c_enum, i32, p_f64]),
    "deep_model_evaluate": (c_status, [ptr, ptr, i32, ptr, i32]),
    "deep_model_predict": (c_status, [ptr, ptr, out_ptr]),
    "deep_model_predict_states": (c_status, [ptr, ptr, i32, ptr, ptr]),
    "deep_model_summary": (c_status, [ptr, ptr, i64, p_i64]),
    "deep_model_layer_count": (c_status, [ptr, p_i32]),
    "deep_model_parameter_count": (c_status, [ptr, p_i64]),
    "deep_model_input_shape": (c_status, [ptr, p_i64, i32, p_i32]),
    "deep_model_output_shape": (c_status, [ptr, p_i64, i32, p_i32]),
    "deep_model_weight_count": (c_status, [ptr, i32, p_i32]),
    "deep_model_get_weight": (c_status, [ptr, i32, i32, out_ptr]),
    "deep_model_set_weight": (c_status, [ptr, i32, i32, ptr]),
    # trees
    "deep_tree_new": (c_status, [c_enum, out_ptr]),
    "deep_tree_free": (None, [ptr]),
    "deep_tree_set_int": (c_status, [ptr, c_enum, i64]),
    "deep_tree_set_float": (c_status, [ptr, c_enum, f64]),
    "deep_tree_set_class_weights": (c_status, [ptr, ptr, i32]),
    "deep_tree_fit": (c_status, [ptr, ptr]),
    "deep_tree_predict": (c_status, [ptr, ptr, out_ptr]),
    "deep_tree_predict_proba": (c_status, [ptr, ptr, out_ptr]),
    "deep_tree_score": (c_status, [ptr, ptr, p_f64]),
    "deep_tree_feature_importances": (c_status, [ptr, ptr, i64]),
    "deep_tree_node_count": (c_status, [ptr, p_i64]),
    "deep_tree_depth": (c_status, [ptr, p_i64]),
    "deep_tree_node": (c_status, [ptr, i64, p_i64, p_f32, p_i64, p_i64]),
    "deep_tree_node_value": (c_status, [ptr, i64, ptr, i64]),
    "deep_tree_to_json": (c_status, [ptr, ptr, i64, p_i64]),
    "deep_tree_save": (c_status, [ptr, cstr]),
    "deep_tree_load": (c_status, [cstr, out_ptr]),
    "deep_tree_cross_val_score": (c_status, [ptr, ptr, i32, u64, ptr, i32]),
    # forests
    "deep_forest_new": (c_status, [c_enum, out_ptr]),
    "deep_forest_free": (None, [ptr]),
    "deep_forest_set_int": (c_status, [ptr, c_enum, i64]),
    "deep_forest_set_float": (c_status, [ptr, c_enum, f64]),
    "deep_forest_set_class_weights": (c_status, [ptr, ptr, i32]),
    "deep_forest_fit": (c_status, [ptr, ptr]),
    "deep_forest_predict": (c_status, [ptr, ptr, out_ptr]),
    "deep_forest_predict_proba": (c_status, [ptr, ptr, out_ptr]),
    "deep_forest_score": (c_status, [ptr, ptr, p_f64]),
    "deep_forest_oob_score": (c_status, [ptr, p_f64]),
    "deep_forest_feature_importances": (c_status, [ptr, ptr, i64]),
    "deep_forest_tree_count": (c_status, [ptr, p_i64]),
    "deep_forest_save": (c_status, [ptr, cstr]),
    "deep_forest_load": (c_status, [cstr, out_ptr]),
    "deep_forest_cross_val_score": (c_status, [ptr, ptr, i32, u64, ptr, i32]),
    "deep_model_save": (c_status, [ptr, cstr]),
    "deep_model_load": (c_status, [cstr, out_ptr]),
    "deep_model_save_buffer": (c_status, [ptr, ptr, i64, p_i64]),
    "deep_model_load_buffer": (c_status, [ptr, i64, out_ptr]),
}



def _candidates():
    env = os.environ.get("LIBDEEP_LIBRARY")
    if env:
        return [env], True
    names = []
    found = ctypes.util.find_library("deep")
    if found:
        names.append(found)
    names.append(f"libdeep.so.{REQUIRED_MAJOR}")
    return names, False


def _open():
    names, explicit = _candidates()
    failures = []
    for name in names:
        try:
            return ctypes.CDLL(name), name
        except OSError as exc:
            failures.append(f"{name}: {exc}")
    where = "LIBDEEP_LIBRARY" if explicit else "the dynamic loader (find_library('deep'), libdeep.so.0)"
    raise errors.LibraryNotFoundError(
        "cannot load the libdeep shared library through " + where + ": " + "; ".join(failures)
        + ". Install libdeep (meson install; ldconfig) or set LIBDEEP_LIBRARY to the path of libdeep.so.0")


def check_version(number, version, path):
    """Raises LibraryNotFoundError unless DEEP_VERSION_NUMBER `number` is REQUIRED_MAJOR.x
    with x >= REQUIRED_MINOR (a new major version may change the ABI; an older minor
    version lacks functions declared here)."""
    major, minor = number // 10000, number // 100 % 100
    if major != REQUIRED_MAJOR or minor < REQUIRED_MINOR:
        raise errors.LibraryNotFoundError(
            f"{path} is libdeep {version}, but this binding needs {REQUIRED_MAJOR}.x with x >= {REQUIRED_MINOR}")


class _Library:
    """The loaded shared object with every function declared; attributes are the C names."""

    def __init__(self):
        self.cdll, self.path = _open()
        for name, (restype, argtypes) in _FUNCTIONS.items():
            try:
                fn = getattr(self.cdll, name)
            except AttributeError:
                raise errors.LibraryNotFoundError(
                    f"{self.path} does not export {name}: it is not a compatible libdeep") from None
            self._declare(fn, restype, argtypes)
            setattr(self, name, fn)
        self.version = self.deep_version_string().decode()
        check_version(self.deep_version_number(), self.version, self.path)

    def _declare(self, fn, restype, argtypes):
        fn.argtypes = argtypes
        if restype is c_status:
            fn.restype = ctypes.c_int
            fn.errcheck = self._check
        else:
            fn.restype = restype

    def _check(self, status, fn, args):
        if status != 0:
            # Read the thread-local message before anything else calls into the library.
            message = self.deep_last_error().decode("utf-8", "replace")
            name = self.deep_status_string(status).decode()
            cls = errors.STATUS_CLASSES.get(status, errors.Error)
            raise cls(message or f"{fn.__name__} failed", status, name)
        return status

    def has(self, name):
        """Whether the loaded library exports the C function `name`."""
        try:
            getattr(self.cdll, name)
            return True
        except AttributeError:
            return False


lib = _Library()


def out():
    """A fresh `deep_x *` out-parameter."""
    return ctypes.c_void_p()


def shape_array(shape):
    """A C int64_t array holding a shape (kept alive by the caller during the call)."""
    return (i64 * len(shape))(*[int(d) for d in shape])


def read_text(fn, *args):
    """Calls a (…, char *buffer, int64_t capacity, int64_t *needed) function twice: size, then text."""
    needed = i64(0)
    fn(*args, None, 0, ctypes.byref(needed))
    buf = ctypes.create_string_buffer(needed.value)
    fn(*args, buf, needed.value, ctypes.byref(needed))
    return buf.value.decode("utf-8", "replace")
