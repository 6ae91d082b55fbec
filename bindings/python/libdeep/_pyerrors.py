"""C error messages worded for Python: the one place where a failed C call's message
(deep_last_error, naming C functions and constants) becomes the text a Python user reads,
naming the Python call that failed and its argument, e.g.

    RandomForestClassifier.fit(): oob_score=True needs bootstrap=True [deep_forest_fit]

instead of "deep_forest_fit: the out-of-bag score needs bootstrap 1". The Python call is the
outermost frame of the libdeep package on the stack (the method the user called); its
arguments are named when the message mentions them. The C message itself stays in
Error.message; wording never raises (on any surprise the C message is used as it is).
"""

import re
import sys

# C functions whose Python counterpart is not "<verb>()" of the same object.
_FUNCTIONS = {
    "deep_dataset_to_categorical": "libdeep.utils.to_categorical()",
    "deep_model_compile_outputs": "compile()",
    "deep_model_set_weight": "set_weights()",
    "deep_model_get_weight": "get_weights()",
    "deep_model_copy_weights": "copy_weights_from()",
    "deep_dataset_reshape": "Dataset.reshape()",
    "deep_dataset_set_labels": "Dataset(x, y)",
    "deep_dataset_set_targets": "Dataset(x, y)",
    "deep_tensor_reshape": "reshape()",
}

# Phrases of the C messages and their Python spelling, tried in order.
_PHRASES = [
    (r"\bsparse categorical cross-entropy\b", "loss='sparse_categorical_crossentropy'"),
    (r"\bcategorical cross-entropy\b", "loss='categorical_crossentropy'"),
    (r"\bbinary cross-entropy\b", "loss='binary_crossentropy'"),
    (r"\bthe out-of-bag score needs bootstrap 1\b", "oob_score=True needs bootstrap=True"),
    (r"\bbootstrap 1\b", "bootstrap=True"),
    (r"\bDEEP_UNLIMITED\b", "None"),
]

# Option constants of the C API -> Python parameter names, where they differ from the
# constant's own tail in lower case (DEEP_MODEL_VALIDATION_SPLIT -> validation_split).
_OPTIONS = {"DEEP_FOREST_THREADS": "n_jobs", "DEEP_TREE_SEED": "random_state", "DEEP_FOREST_SEED": "random_state",
            "DEEP_FOREST_N_ESTIMATORS": "n_estimators"}
_FLAGS = {"oob_score", "bootstrap", "shuffle", "amsgrad", "nesterov", "use_bias"}
_PREFIXES = ("DEEP_FOREST_", "DEEP_TREE_", "DEEP_MODEL_", "DEEP_OPT_", "DEEP_LAYER_")
# An option constant, and the value after it when the message gives one ("... 1").
_OPTION = r"\b((?:" + "|".join(_PREFIXES) + r")[A-Z0-9_]+)\b(?: (-?[0-9][0-9.e+-]*))?"


def _option(match):
    constant, value = match.group(1), match.group(2)
    name = _OPTIONS.get(constant)
    if name is None:
        prefix = next(p for p in _PREFIXES if constant.startswith(p))
        name = constant[len(prefix):].lower()
    if value is None:
        return name
    if name in _FLAGS and value in ("0", "1"):
        value = "True" if value == "1" else "False"
    return f"{name}={value}"


def _function(match):
    name = match.group(0)
    if name in _FUNCTIONS:
        return _FUNCTIONS[name]
    for prefix, owner in (("deep_model_add_", "the layer "), ("deep_model_", ""), ("deep_dataset_", "Dataset."),
                          ("deep_tree_", ""), ("deep_forest_", ""), ("deep_optimizer_", "the optimizer's ")):
        if name.startswith(prefix):
            rest = name[len(prefix):]
            return f"{owner}{rest}" if prefix == "deep_model_add_" else f"{owner}{rest}()"
    return name


def translate(text):
    """The C text with C functions, constants and phrases in their Python spelling."""
    for pattern, python in _PHRASES:
        text = re.sub(pattern, python, text)
    text = re.sub(_OPTION, _option, text)
    return re.sub(r"\bdeep_[a-z0-9_]+\b", _function, text)


def _caller():
    """The outermost frame of this package on the stack (the call the user made), or None."""
    frame, outer = sys._getframe(2), None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module == "libdeep" or module.startswith("libdeep."):
            outer = frame
        elif outer is not None:
            break
        frame = frame.f_back
    return outer


# Words of the C messages that point at an argument named otherwise.
_ALIASES = {"x": ("inputs", "features per sample", "a sample has shape", "token ids"),
            "y": ("targets", "labels", "one-hot")}


def _layer(frame, body):
    """"Dense(units=0)" for the layer being added when the failing call added one, else None."""
    while frame is not None:
        owner = frame.f_locals.get("self")
        if owner is not None and type(owner).__module__ == "libdeep.layers":
            settings = {k: v for k, v in vars(owner).items() if not k.startswith("_")}
            named = [f"{k}={_short(v)}" for k, v in settings.items()
                     if isinstance(v, (bool, int, float, str, tuple)) and re.search(rf"\b{re.escape(k)}\b", body)]
            return f"{type(owner).__name__}({', '.join(named)})"
        frame = frame.f_back
    return None


def _short(value):
    text = repr(value)
    return text if len(text) <= 40 and "\n" not in text else "..."


def _arguments(frame, body):
    """name=value (or name=...) for the frame's arguments that the message mentions."""
    code = frame.f_code
    count = code.co_argcount + code.co_kwonlyargcount
    names = list(code.co_varnames[:count])
    values = {name: frame.f_locals.get(name) for name in names}
    if code.co_flags & 0x08:  # **kwargs: the keyword arguments by name, with their values
        extra = frame.f_locals.get(code.co_varnames[count + (1 if code.co_flags & 0x04 else 0)], {})
        if isinstance(extra, dict):
            names += list(extra)
            values.update(extra)
    shown = []
    for name in names:
        mentioned = re.search(rf"(?<![\w.]){re.escape(name)}\b", body) or \
            any(word in body for word in _ALIASES.get(name, ()))
        if name in ("self", "cls") or not mentioned:
            continue
        value = values.get(name)
        simple = value is None or isinstance(value, (bool, int, float, str))
        shown.append(f"{name}={_short(value)}" if simple else f"{name}=...")
    return shown


def _label(frame, arguments):
    function = frame.f_code.co_name
    owner = frame.f_locals.get("self")
    args = ", ".join(arguments)
    if function == "__init__" and owner is not None:
        return f"{type(owner).__name__}({args})"
    if owner is not None:
        return f"{type(owner).__name__}.{function}({args})"
    return f"libdeep.{function}({args})"


def python_message(message):
    """The Python wording of a C message, or None when it cannot be made."""
    try:
        frame = _caller()
        match = re.match(r"(deep_[a-z0-9_]+)(?: \(([^)]*)\))?: ", message)
        function = match.group(1) if match else None
        body = message[match.end():] if match else message
        if match and match.group(2):
            body = f"{match.group(2)}: {body}"
        body = translate(body)
        if frame is None:
            return None
        label = _label(frame, _arguments(frame, body))
        layer = _layer(sys._getframe(2), body) if function and function.startswith("deep_model_add_") else None
        if layer is not None:
            label += f": {layer}"
        return f"{label}: {body}" + (f" [{function}]" if function else "")
    except Exception:  # the wording is a courtesy: never hide the failure itself
        return None
