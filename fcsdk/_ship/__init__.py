"""Shipping a function: the engine of ``fcsdk package`` and ``fcsdk coldstart``.

Private: the commands are the interface. The modules are ``target`` (runtimes
and wheel tags), ``requirements`` (reading them and installing them with pip
for the target), ``sources`` (requirements pip would build from source),
``native`` (compiled files, whatever a wheel's tag says), ``imports`` (what
the code imports that nothing provides), ``declared`` (what ``s.yaml``
declares), ``ignore`` (``.fcignore``), ``bytecode``, ``archive`` (the
deterministic zip), ``build`` (putting it together), ``progress`` (the
terminal's one-line display), ``coldstart`` and ``webstart`` (measuring an
event function and a web function).
"""
