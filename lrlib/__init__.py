"""lrlib: the library behind the book *Large learning rates and SGD noise, executable*.

Modules: ``profile`` (scale, seeds, device, provenance), ``data`` (real and synthetic datasets), ``store``
(content-addressed results), ``claims`` (checked claims), ``plots`` (the book's style), ``progress``,
``models`` and ``train`` (the ensemble engine), ``sweep`` (grids to results), ``papers`` (one module per chapter).
"""

__version__ = "0.1.0"
