"""Build hook for the optional compiled header scanner (all metadata is in pyproject.toml).

``spamlab.mail._scan`` is a C speed-up of :func:`spamlab.mail.headers.scan_row_python`.
It is optional: without a C compiler the build skips it and spamlab runs the
pure-Python scanner, with the same results.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("spamlab.mail._scan", ["src/spamlab/mail/_scan.c"], optional=True)])
