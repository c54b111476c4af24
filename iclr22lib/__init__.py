"""iclr22lib: full, tested implementations of ten Amazon ICLR 2022 papers.

Each paper has its own subpackage (``coldbrew``, ``giant``, ...); they share only
:mod:`iclr22lib.core` (configuration, devices, seeding, the data registry, results,
plotting and progress bars). The executable book in ``notebooks/`` is written on top.
"""

__version__ = "0.1.0"
