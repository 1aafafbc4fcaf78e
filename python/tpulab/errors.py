"""tpulab's exceptions: the hierarchy of the C++ library's common/error.h.

Every exception has ``problem`` (what is wrong) and ``where`` (the file, op or device it is
about); ``str(e)`` is the library's message, ``"<problem> (<where>)"``.
"""


class Error(RuntimeError):
    """Any error the tpulab library reports."""

    problem: str = ""
    where: str = ""


class IoError(Error, OSError):
    """A file could not be opened, read or written."""


class ModelError(Error, ValueError):
    """A model file is malformed or inconsistent."""


class UsageError(Error, ValueError):
    """An argument is not valid (a bad value, a wrong input array, a closed interpreter)."""


class FormatError(Error, ValueError):
    """An input file other than a model (plan, platform, profile, trace, table) is malformed."""


class FieldError(UsageError):
    """An option is out of range; ``field`` names it as the library does ("width", "in_flight")."""

    field: str = ""


class UnsupportedError(Error):
    """A well-formed request this build cannot serve (an op without a kernel, ...)."""


__all__ = [
    "Error",
    "IoError",
    "ModelError",
    "FormatError",
    "UsageError",
    "FieldError",
    "UnsupportedError",
]
