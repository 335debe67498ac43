"""Shipping a function: the engine of ``fcsdk package``.

Private: the ``fcsdk package`` command is the interface. The modules are
``target`` (runtimes and wheel tags), ``requirements`` (reading them and
installing them with pip for the target), ``ignore`` (``.fcignore``),
``archive`` (the deterministic zip) and ``build`` (putting it together).
"""
