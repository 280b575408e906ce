"""Where the ``profdiff`` executable of this installation is.

pip puts the executable of a ``bindings = "bin"`` wheel into the scripts
directory of the scheme it installs into, which is not always on PATH (a
virtual environment that is not activated, ``pip install --user``,
``pip install --target``). So it is looked up where this very package was
installed from, not on PATH: the plugin must run the binary of its own
version.
"""

import os
import sys
import sysconfig

#: Overrides the lookup (a development build, for instance).
ENV_VAR = "PROFDIFF_BIN"


def _exe_name():
    return "profdiff" + (sysconfig.get_config_var("EXE") or "")


def _user_scheme():
    if sys.version_info >= (3, 10):
        return sysconfig.get_preferred_scheme("user")
    if os.name == "nt":
        return "nt_user"
    if sys.platform == "darwin" and getattr(sys, "_framework", None):
        return "osx_framework_user"
    return "posix_user"


def _candidates():
    exe = _exe_name()
    # The scheme this interpreter installs into (a venv's bin/, or the
    # system's), then the user scheme (`pip install --user`).
    yield os.path.join(sysconfig.get_path("scripts"), exe)
    try:
        yield os.path.join(sysconfig.get_path("scripts", scheme=_user_scheme()), exe)
    except KeyError:
        pass
    # `pip install --target DIR` puts the package in DIR and scripts in
    # DIR/bin.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    yield os.path.join(package_root, "bin", exe)


def find_profdiff_bin():
    """The path of the ``profdiff`` executable installed with this package.

    ``PROFDIFF_BIN``, when set, wins. Raises :class:`FileNotFoundError`
    naming the places looked at when there is none.
    """
    override = os.environ.get(ENV_VAR)
    if override:
        if not os.path.isfile(override):
            raise FileNotFoundError("%s=%s: no such file" % (ENV_VAR, override))
        return override
    looked = []
    for path in _candidates():
        if os.path.isfile(path):
            return path
        looked.append(path)
    raise FileNotFoundError(
        "the profdiff executable is not installed with this package; looked at: "
        + ", ".join(looked)
    )
