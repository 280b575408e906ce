"""profdiff: what changed between two performance profiles.

The work is done by the ``profdiff`` executable installed with this package
(written in Rust, no Python dependency). This package finds it
(:func:`find_profdiff_bin`), runs it for ``python -m profdiff``, and holds the
pytest plugin (:mod:`profdiff.pytest_plugin`).
"""

from profdiff._binary import find_profdiff_bin

__all__ = ["find_profdiff_bin"]
