"""Témoin: social impact contracts (contrats à impact social) with civil society's safeguards.

The domain core (``contract``, ``evaluation``, ``settlement``, ``governance``, ``money``,
``errors``) is pure Python and numpy; ``store``, ``services``, ``cli``, ``web``, ``reports`` and
``opendata`` are the adapters around it.
"""

__version__ = "0.1.0"
