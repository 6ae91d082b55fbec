"""The binding's own version; it follows the C library's version it was written for."""

__version__ = "1.3.0"

# The C library must have this major version (the soname, libdeep.so.1) and at least this
# minor version, which is the first one providing every function bound eagerly here.
REQUIRED_MAJOR = 1
REQUIRED_MINOR = 3
