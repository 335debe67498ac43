"""``fc.HTTPApp``: a small router with typed path parameters, bodies and query parameters.

Routes are path templates with ``{name}`` parameters, optionally typed by a
converter: ``{name:int}`` (digits), ``{name:uuid}``, ``{name:path}`` (the
rest of the path, slashes included). Matching runs on the percent-encoded
path, so an encoded ``%2F`` stays inside one parameter; captured values are
then decoded.

An endpoint's parameters are bound by their annotations:

* ``fc.Request`` (or a parameter named ``request``): the request;
* ``fc.FCContext``: the typed context;
* a name that appears in the path: that path parameter, converted to the
  annotation (``order_id: int``); a value that does not convert is a 422;
* a pydantic model: the JSON body, validated straight from bytes; a body
  that is not JSON is a 400, one that does not fit the model a 422 listing
  every field error (``loc``, ``msg``, ``type``, never the input);
* anything else: a query parameter of that name, converted to the
  annotation (``list[...]`` takes every value); missing without a default is
  a 422.

Endpoints and exception handlers may be ``async def``: they run on the
instance's one shared event loop (see :mod:`fcsdk._aio`), decided when the
route is registered.

Unknown paths answer 404, a known path with another method 405 with
``Allow``. ``HEAD`` is served by ``GET`` routes, without a body.

Example:
    >>> import fcsdk as fc
    >>> from pydantic import BaseModel
    >>> class NewOrder(BaseModel):
    ...     item: str
    ...     qty: int
    >>> app = fc.HTTPApp()
    >>> @app.post("/orders")
    ... def create(body: NewOrder) -> dict[str, object]:
    ...     return {"item": body.item, "qty": body.qty}
    >>> @app.get("/orders/{order_id:int}")
    ... def show(order_id: int, verbose: bool = False) -> dict[str, object]:
    ...     return {"id": order_id, "verbose": verbose}
    >>> from fcsdk.testing import HTTPClient
    >>> client = HTTPClient(app)
    >>> client.get("/orders/7?verbose=true").json()
    {'id': 7, 'verbose': True}
    >>> client.post("/orders", json={"item": "tea", "qty": "x"}).status_code
    422
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, get_origin
from urllib.parse import unquote_to_bytes

from pydantic import BaseModel, TypeAdapter, ValidationError

from fcsdk._lazy import deprecated_aliases
from fcsdk.exceptions import (
    BadRequest,
    ConfigurationError,
    MethodNotAllowed,
    NotFound,
    RequestValidationError,
    UnsupportedMediaType,
)
from fcsdk.handler import is_async_callable, run_sync
from fcsdk.web.adapter import HTTPHandler
from fcsdk.web.datastructures import check_percent_escapes
from fcsdk.web.forms import parse_content_type
from fcsdk.web.limits import check_json_depth
from fcsdk.web.request import Request, body_error, validation_errors
from fcsdk.web.response import Response, to_response

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from fcsdk.web.options import HTTPOptionArgs

__all__ = ["HTTPApp", "Route"]

F = TypeVar("F", bound=Callable[..., Any])
E = TypeVar("E", bound=BaseException)

_CONVERTERS = {
    "str": r"[^/]+",
    "int": r"[0-9]+",
    "uuid": r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    "path": r".*",
}
_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z]+))?}")


def _decode_segment(value: str) -> str:
    if "%" not in value:
        return value
    check_percent_escapes(value, "path")
    try:
        return unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the path is not valid UTF-8 after percent-decoding") from None


class Route:
    """One path template with its methods and endpoint.

    Raises:
        ConfigurationError: the template is malformed or names an unknown converter.
    """

    def __init__(self, path: str, methods: Iterable[str], endpoint: Callable[..., Any]) -> None:
        if not path.startswith("/"):
            raise ConfigurationError(f"route path {path!r} must start with '/'")
        self.path = path
        self.methods = frozenset(m.upper() for m in methods)
        self.endpoint = endpoint
        # Decided here, at registration: an async def endpoint runs on the shared loop.
        self.is_async = is_async_callable(endpoint)
        self.converters: dict[str, str] = {}
        pattern = ""
        position = 0
        for match in _PARAM.finditer(path):
            name, converter = match.group(1), match.group(2) or "str"
            if converter not in _CONVERTERS:
                raise ConfigurationError(
                    f"route {path!r}: unknown converter {converter!r} "
                    f"(known: {', '.join(sorted(_CONVERTERS))})"
                )
            if name in self.converters:
                raise ConfigurationError(f"route {path!r}: parameter {name!r} appears twice")
            self.converters[name] = converter
            pattern += re.escape(path[position : match.start()])
            pattern += f"(?P<{name}>{_CONVERTERS[converter]})"
            position = match.end()
        rest = path[position:]
        if "{" in rest or "}" in rest:
            raise ConfigurationError(f"route {path!r}: malformed parameter")
        pattern += re.escape(rest)
        self.static = not self.converters
        self.regex = re.compile(f"^{pattern}$")
        self._binder: Callable[[Request, dict[str, str]], object] | None = None

    def match(self, raw_path: str) -> dict[str, str] | None:
        """Return the raw (still percent-encoded) parameters if ``raw_path`` matches."""
        if self.static:
            return {} if raw_path == self.path else None
        found = self.regex.match(raw_path)
        return found.groupdict() if found is not None else None

    def call(self, request: Request, raw_params: dict[str, str]) -> object:
        """Bind the endpoint's parameters from ``request`` and call it."""
        binder = self._binder or self._build_binder()
        return binder(request, raw_params)

    def _build_binder(self) -> Callable[[Request, dict[str, str]], object]:
        binder = _make_binder(self)
        self._binder = binder
        return binder

    def __repr__(self) -> str:
        return f"<Route {sorted(self.methods)} {self.path}>"


_Getter = Callable[[Request, dict[str, str], list[dict[str, Any]]], Any]
_MISSING: Any = object()
_REQUIRED: Any = object()


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _make_binder(route: Route) -> Callable[[Request, dict[str, str]], object]:
    """Inspect the endpoint once and return ``(request, raw_params) -> result``."""
    from fcsdk.context import FCContext

    func = route.endpoint
    call = run_sync(func) if route.is_async else func
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:
        raise ConfigurationError(
            f"cannot resolve the annotations of {getattr(func, '__qualname__', func)!r}: {exc}"
        ) from exc
    getters: list[tuple[str, _Getter]] = []
    body_seen = False
    request_only = True
    import inspect  # at the first request of a route, not at import: cold start

    for name, param in inspect.signature(func).parameters.items():
        annotation = hints.get(name, Any)
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if annotation is Request or (name == "request" and annotation is Any):
            getters.append((name, lambda request, raw, errors: request))
            request_only = request_only and param.kind is not param.KEYWORD_ONLY
            continue
        request_only = False
        if annotation is FCContext:
            getters.append((name, lambda request, raw, errors: request.context))
        elif name in route.converters:
            getters.append((name, _path_getter(name, annotation, route.converters[name])))
        elif _is_model(annotation):
            if body_seen:
                raise ConfigurationError(
                    f"{func.__qualname__}: only one parameter can be the JSON body"
                )
            body_seen = True
            getters.append((name, _body_getter(annotation)))
        else:
            default = _REQUIRED if param.default is param.empty else param.default
            getters.append((name, _query_getter(name, annotation, default)))
    if request_only and len(getters) == 1:
        return lambda request, raw: call(request)

    def bind(request: Request, raw: dict[str, str]) -> object:
        errors: list[dict[str, Any]] = []
        kwargs = {}
        for name, getter in getters:
            value = getter(request, raw, errors)
            if value is not _MISSING:
                kwargs[name] = value
        if errors:
            raise RequestValidationError(errors)
        return call(**kwargs)

    return bind


def _path_getter(name: str, annotation: Any, converter: str) -> _Getter:
    if annotation is Any or annotation is str:

        def get_str(request: Request, raw: dict[str, str], errors: list[dict[str, Any]]) -> Any:
            return _decode_segment(raw[name])

        return get_str
    if annotation is int and converter == "int":
        return lambda request, raw, errors: int(raw[name])
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)

    def get_typed(request: Request, raw: dict[str, str], errors: list[dict[str, Any]]) -> Any:
        try:
            return adapter.validate_strings(_decode_segment(raw[name]))
        except ValidationError as exc:
            errors.extend(validation_errors(exc, prefix=("path", name)))
            return _MISSING

    return get_typed


_JSON_OR_UNSPECIFIED = frozenset({"application/json", "application/octet-stream", ""})


def _body_getter(model: type[BaseModel]) -> _Getter:
    def get_body(request: Request, raw: dict[str, str], errors: list[dict[str, Any]]) -> Any:
        content_type = request.headers.get("content-type")
        if content_type:
            media = parse_content_type(content_type)[0]
            # FC 2.0 reports a missing Content-Type as application/octet-stream.
            if media not in _JSON_OR_UNSPECIFIED and not media.endswith("+json"):
                raise UnsupportedMediaType(f"expected a JSON body, got {media}")
        body = request.body
        if not body:
            errors.append(
                {
                    "loc": ["body"],
                    "msg": "Field required: the JSON body is empty",
                    "type": "missing",
                }
            )
            return _MISSING
        check_json_depth(body, request.limits.max_json_depth)
        try:
            return model.model_validate_json(body)
        except ValidationError as exc:
            error = body_error(exc)
            if isinstance(error, BadRequest):
                raise error from None
            errors.extend(error.errors)
            return _MISSING

    return get_body


def _query_getter(name: str, annotation: Any, default: Any) -> _Getter:
    many = get_origin(annotation) in (list, tuple, set, frozenset)
    plain = annotation is Any or annotation is str
    adapter: TypeAdapter[Any] | None = None if plain else TypeAdapter(annotation)
    if many and default is _REQUIRED:
        default = _MISSING
        required = False
    else:
        required = default is _REQUIRED

    def get_query(request: Request, raw: dict[str, str], errors: list[dict[str, Any]]) -> Any:
        query = request.query
        if many:
            values: Any = query.getall(name)
            if not values and default is not _MISSING:
                return default
        else:
            values = query.get(name)
            if values is None:
                if required:
                    errors.append(
                        {"loc": ["query", name], "msg": "Field required", "type": "missing"}
                    )
                    return _MISSING
                return default
        if adapter is None:
            return values
        try:
            return adapter.validate_python(values) if many else adapter.validate_strings(values)
        except ValidationError as exc:
            errors.extend(validation_errors(exc, prefix=("query", name)))
            return _MISSING

    return get_query


class HTTPApp(HTTPHandler[object]):
    """An HTTP application with routes, deployable in all three places as it is.

    ``handler = app`` in the module is the deployable handler: it answers
    WSGI calls (FC 2.0) and HTTP events (FC 3.0, API Gateway) alike.

    Args:
        options: see :class:`~fcsdk.web.options.HTTPOptions` (``max_body_size``,
            ``strip_prefix``, ``text_types``, ``multi_value_headers``, ``limits``).
    """

    def __init__(self, **options: Unpack[HTTPOptionArgs]) -> None:
        super().__init__(self.dispatch, **options)
        self.__qualname__ = self.__name__ = type(self).__name__
        self.routes: list[Route] = []
        self._static: dict[str, list[Route]] = {}
        self._exception_handlers: dict[type[BaseException], Callable[..., object]] = {}

    # -- registration -------------------------------------------------------------------

    def add_route(
        self, path: str, endpoint: Callable[..., Any], *, methods: Iterable[str]
    ) -> Route:
        """Register ``endpoint`` for ``path`` and ``methods``; return the route."""
        route = Route(path, methods, endpoint)
        self.routes.append(route)
        if route.static:
            self._static.setdefault(path, []).append(route)
        return route

    def route(self, path: str, *, methods: Iterable[str] = ("GET",)) -> Callable[[F], F]:
        """Decorator: register the function for ``path`` and ``methods``; it stays as it is."""

        def register(func: F) -> F:
            self.add_route(path, func, methods=methods)
            return func

        return register

    def get(self, path: str) -> Callable[[F], F]:
        """Register a ``GET`` (and ``HEAD``) endpoint."""
        return self.route(path, methods=("GET",))

    def post(self, path: str) -> Callable[[F], F]:
        """Register a ``POST`` endpoint."""
        return self.route(path, methods=("POST",))

    def put(self, path: str) -> Callable[[F], F]:
        """Register a ``PUT`` endpoint."""
        return self.route(path, methods=("PUT",))

    def patch(self, path: str) -> Callable[[F], F]:
        """Register a ``PATCH`` endpoint."""
        return self.route(path, methods=("PATCH",))

    def delete(self, path: str) -> Callable[[F], F]:
        """Register a ``DELETE`` endpoint."""
        return self.route(path, methods=("DELETE",))

    def exception_handler(
        self, exc_type: type[E]
    ) -> Callable[[Callable[[Request, E], object]], Callable[[Request, E], object]]:
        """Decorator: answer exceptions of ``exc_type`` (and subclasses) with this function.

        The function gets ``(request, exc)`` and returns anything a route may
        return; it may be ``async def``. The most specific registered type wins.
        """

        def register(func: Callable[[Request, E], object]) -> Callable[[Request, E], object]:
            self._exception_handlers[exc_type] = (
                run_sync(func) if is_async_callable(func) else func  # type: ignore[arg-type]
            )
            return func

        return register

    # -- serving ------------------------------------------------------------------------

    def dispatch(self, request: Request) -> object:
        """Find the route for ``request`` and call its endpoint.

        Raises:
            NotFound: no route matches the path.
            MethodNotAllowed: routes match the path, none for this method.
        """
        raw_path = request.raw_path
        method = request.method
        lookup = "GET" if method == "HEAD" else method
        allowed: set[str] = set()
        for route in self._static.get(raw_path, ()):
            if lookup in route.methods:
                return route.call(request, {})
            allowed |= route.methods
        for route in self.routes:
            if route.static:
                continue
            raw = route.match(raw_path)
            if raw is None:
                continue
            if lookup in route.methods:
                request.path_params.update({k: _decode_segment(v) for k, v in raw.items()})
                return route.call(request, raw)
            allowed |= route.methods
        if allowed:
            if "GET" in allowed:
                allowed.add("HEAD")
            raise MethodNotAllowed(sorted(allowed), f"{method} is not allowed on this path")
        raise NotFound(f"no route for {request.path}")

    def handle_exception(self, request: Request, exc: Exception) -> Response | None:
        """Answer ``exc`` with the most specific registered handler, else the default."""
        for klass in type(exc).__mro__:
            handler = self._exception_handlers.get(klass)
            if handler is not None:
                return to_response(handler(request, exc))
        return super().handle_exception(request, exc)

    def __repr__(self) -> str:
        return f"<fcsdk HTTPApp with {len(self.routes)} routes>"


if TYPE_CHECKING:
    HttpApp = HTTPApp  # deprecated: warns at run time
else:
    __getattr__ = deprecated_aliases(__name__, globals(), {"HttpApp": "HTTPApp"})
