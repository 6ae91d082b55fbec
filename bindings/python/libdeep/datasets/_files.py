"""Where the dataset loaders look for their files, and the error when they are not there.

A loader given a path reads that directory only. Otherwise it tries, in order:
$LIBDEEP_DATASETS (one or more directories separated by ':') / <name>, then
/usr/share/datasets/<name> (Debian's dataset packages, e.g. dataset-fashion-mnist),
then ~/.keras/datasets/<name> (Keras' download cache)."""

import os

from .. import errors

SYSTEM_DIR = "/usr/share/datasets"
ENVIRONMENT = "LIBDEEP_DATASETS"


def search_dirs(name):
    """The directories a loader tries for the dataset directory `name`, in order."""
    roots = [r for r in os.environ.get(ENVIRONMENT, "").split(os.pathsep) if r]
    roots += [SYSTEM_DIR, os.path.join(os.path.expanduser("~"), ".keras", "datasets")]
    return [os.path.join(root, name) for root in roots]


def find(what, name, path, candidates):
    """The first directory (path, else search_dirs(name)) holding one of `candidates` (each
    a list of file names that must all be there); returns (directory, that list)."""
    dirs = [os.fspath(path)] if path is not None else search_dirs(name)
    for directory in dirs:
        for files in candidates:
            if all(os.path.isfile(os.path.join(directory, f)) for f in files):
                return directory, [os.path.join(directory, f) for f in files]
    wanted = " or ".join(", ".join(files) for files in candidates)
    hint = "" if path is not None else (f"; install them there, or set {ENVIRONMENT} to a directory holding "
                                        f"{name}/, or pass path=")
    raise errors.FileError(f"{what}.load_data: no {wanted} in {', '.join(dirs)}{hint}")
