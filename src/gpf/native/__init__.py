"""Calls into native libraries through ctypes: METIS (:mod:`gpf.native.metis`) and the
capture of what C code prints on the process's stdout / stderr (:mod:`gpf.native.quiet`).

Nothing here imports the rest of gpf except :mod:`gpf.errors`.
"""
