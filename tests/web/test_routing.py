"""Tests for fcsdk.web.routing: HTTPApp routes, typed parameters and bodies, errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from pydantic import BaseModel, Field

import fcsdk as fc
from fcsdk.exceptions import ConfigurationError
from fcsdk.testing import HTTPClient, fake_context
from fcsdk.testing.http import Via
from fcsdk.web.routing import Route

PLACES: list[Via] = ["wsgi", "fc3", "apigw"]


class NewOrder(BaseModel):
    item: str
    qty: int = Field(gt=0)
    password: str = ""


class Order(BaseModel):
    order_id: int
    item: str


class Conflict(Exception):
    pass


def make_app() -> fc.HTTPApp:
    app = fc.HTTPApp()

    @app.get("/orders/{order_id}")
    def get_order(request: fc.Request, order_id: int) -> Order:
        if order_id == 404:
            raise fc.NotFound(f"no order {order_id}")
        return Order(order_id=order_id, item="tea")

    @app.post("/orders")
    def create_order(request: fc.Request, body: NewOrder) -> fc.Response:
        return fc.JSONResponse({"item": body.item, "qty": body.qty}, status=201)

    @app.get("/files/{rest:path}")
    def files(rest: str) -> str:
        return rest

    @app.get("/ids/{ident:uuid}")
    def by_uuid(ident: uuid.UUID) -> str:
        return str(ident)

    @app.get("/count/{n:int}")
    def count(n: int) -> dict[str, int]:
        return {"n": n}

    @app.get("/names/{name}")
    def name(name: str, request: fc.Request) -> dict[str, Any]:
        return {"name": name, "params": request.path_params}

    @app.get("/search")
    def search(q: str, page: int = 1, tags: list[str] = [], exact: bool = False) -> dict[str, Any]:  # noqa: B006
        return {"q": q, "page": page, "tags": tags, "exact": exact}

    @app.get("/ctx")
    def ctx(context: fc.FCContext) -> str:
        return context.request_id

    @app.route("/multi", methods=["PUT", "patch"])
    def multi(request: fc.Request) -> str:
        return request.method

    @app.delete("/orders/{order_id}")
    def delete(order_id: str) -> None:
        return None

    @app.put("/conflict")
    def conflict() -> str:
        raise Conflict("taken")

    @app.patch("/crash")
    def crash() -> str:
        raise ZeroDivisionError

    @app.exception_handler(Conflict)
    def on_conflict(request: fc.Request, exc: Conflict) -> tuple[dict[str, str], int]:
        return {"error": str(exc)}, 409

    return app


@pytest.fixture(params=PLACES)
def client(request: pytest.FixtureRequest) -> HTTPClient:
    return HTTPClient(make_app(), via=request.param)


class TestRoutes:
    def test_typed_path_parameter_and_model_result(self, client: HTTPClient) -> None:
        """{order_id} with `order_id: int` is converted; a returned model is JSON."""
        response = client.get("/orders/7")
        assert response.status_code == 200
        assert response.json() == {"order_id": 7, "item": "tea"}

    def test_unconvertible_path_parameter_is_422(self, client: HTTPClient) -> None:
        """A path value that does not convert to the annotation is a 422 at loc path.name."""
        response = client.get("/orders/abc")
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["path", "order_id"]

    def test_int_converter_mismatch_is_404(self, client: HTTPClient) -> None:
        """{n:int} does not match letters: 404."""
        assert client.get("/count/12").json() == {"n": 12}
        assert client.get("/count/x").status_code == 404

    def test_path_and_uuid_converters(self, client: HTTPClient) -> None:
        """{rest:path} takes slashes; {ident:uuid} converts to a UUID."""
        assert client.get("/files/a/b%20c.txt").text == "a/b c.txt"
        ident = uuid.uuid4()
        assert client.get(f"/ids/{ident}").text == str(ident)
        assert client.get("/ids/not-a-uuid").status_code == 404

    def test_encoded_slash_stays_in_one_parameter(self) -> None:
        """%2F inside a segment is one parameter, decoded (raw-path places)."""
        for via in ("wsgi", "fc3"):
            response = HTTPClient(make_app(), via=via).get("/names/a%2Fb")
            assert response.json() == {"name": "a/b", "params": {"name": "a/b"}}

    def test_query_parameters(self, client: HTTPClient) -> None:
        """Other parameters come from the query, converted, with defaults and lists."""
        response = client.get("/search?q=tea&page=2&tags=a&tags=b&exact=yes")
        assert response.json() == {"q": "tea", "page": 2, "tags": ["a", "b"], "exact": True}
        assert client.get("/search?q=x").json() == {"q": "x", "page": 1, "tags": [], "exact": False}

    def test_missing_and_bad_query_parameters_are_422(self, client: HTTPClient) -> None:
        """A missing required and a bad query value are both listed in one 422."""
        response = client.get("/search?page=x")
        assert response.status_code == 422
        locs = [error["loc"] for error in response.json()["errors"]]
        assert locs == [["query", "q"], ["query", "page"]]

    def test_context_parameter(self) -> None:
        """An FCContext parameter gets the typed context."""
        client = HTTPClient(make_app(), context=fake_context(request_id="r-ctx"))
        assert client.get("/ctx").text == "r-ctx"

    def test_methods(self, client: HTTPClient) -> None:
        """route(methods=...) accepts several methods; delete returning None is 204."""
        assert client.put("/multi").text == "PUT"
        assert client.patch("/multi").text == "PATCH"
        assert client.delete("/orders/1").status_code == 204

    def test_head_uses_get_routes(self, client: HTTPClient) -> None:
        """HEAD is served by a GET route, without a body."""
        response = client.head("/orders/7")
        assert response.status_code == 200
        assert response.content == b""


class TestBodies:
    def test_valid_body(self, client: HTTPClient) -> None:
        """A model parameter is the validated JSON body."""
        response = client.post("/orders", json={"item": "tea", "qty": 2})
        assert response.status_code == 201
        assert response.json() == {"item": "tea", "qty": 2}

    def test_invalid_body_lists_every_error_without_input(self, client: HTTPClient) -> None:
        """Each failing field is listed (loc, msg, type); no input, no secret echoed."""
        response = client.post("/orders", json={"qty": 0, "password": 12345678})
        assert response.status_code == 422
        errors = response.json()["errors"]
        assert {tuple(e["loc"]) for e in errors} == {
            ("body", "item"),
            ("body", "qty"),
            ("body", "password"),
        }
        assert all(set(e) == {"loc", "msg", "type"} for e in errors)
        assert "12345678" not in response.text

    def test_malformed_json_is_400(self, client: HTTPClient) -> None:
        """A body that is not JSON at all is a 400: it cannot be validated (documented)."""
        response = client.post(
            "/orders", body=b'{"item": ', headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert "not valid JSON" in response.json()["detail"]

    def test_empty_body_is_422(self, client: HTTPClient) -> None:
        """An empty body is a 422 saying the body is required."""
        response = client.post("/orders", headers={"Content-Type": "application/json"})
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body"]

    def test_non_json_content_type_is_415(self, client: HTTPClient) -> None:
        """A body declared as another type is a 415."""
        response = client.post("/orders", body=b"item=tea", headers={"Content-Type": "text/plain"})
        assert response.status_code == 415

    def test_json_suffix_types_and_no_type_are_accepted(self, client: HTTPClient) -> None:
        """application/*+json and a missing Content-Type are read as JSON."""
        body = b'{"item": "tea", "qty": 1}'
        assert (
            client.post(
                "/orders", body=body, headers={"Content-Type": "application/vnd.x+json"}
            ).status_code
            == 201
        )
        assert client.post("/orders", body=body).status_code == 201


class TestErrors:
    def test_404_and_405(self, client: HTTPClient) -> None:
        """Unknown paths are 404; a known path with another method is 405 with Allow."""
        assert client.get("/nowhere").status_code == 404
        response = client.put("/orders/7")
        assert response.status_code == 405
        assert response.headers["allow"] == "DELETE, GET, HEAD"
        static = client.get("/multi")
        assert static.status_code == 405
        assert static.headers["allow"] == "PATCH, PUT"

    def test_http_error_from_a_route(self, client: HTTPClient) -> None:
        """An HTTPError raised in a route becomes its status."""
        assert client.get("/orders/404").status_code == 404

    def test_exception_handler(self, client: HTTPClient) -> None:
        """A registered handler answers its exception type."""
        response = client.put("/conflict")
        assert response.status_code == 409
        assert response.json() == {"error": "taken"}

    def test_unhandled_is_500(self, client: HTTPClient) -> None:
        """An exception without a handler is a 500."""
        assert client.patch("/crash").status_code == 500

    def test_handler_for_a_base_class_and_for_http_errors(self) -> None:
        """Handlers match subclasses; an HTTPError handler overrides the default problem."""
        app = fc.HTTPApp()

        @app.get("/a")
        def a() -> str:
            raise KeyError("k")

        @app.get("/b")
        def b() -> str:
            raise fc.NotFound("gone")

        @app.exception_handler(LookupError)
        def lookup(request: fc.Request, exc: LookupError) -> fc.Response:
            return fc.Response("lookup", status=410)

        @app.exception_handler(fc.HTTPError)
        def http_error(request: fc.Request, exc: fc.HTTPError) -> str:
            return f"custom {exc.status}"

        client = HTTPClient(app)
        assert client.get("/a").status_code == 410
        assert client.get("/b").text == "custom 404"


class TestConfiguration:
    @pytest.mark.parametrize("path", ["nostart", "/a/{x:float}", "/a/{x}/{x}", "/a/{x"])
    def test_bad_templates(self, path: str) -> None:
        """Malformed templates and unknown converters are ConfigurationErrors."""
        with pytest.raises(ConfigurationError):
            Route(path, ["GET"], lambda: None)

    def test_two_body_models_are_refused(self) -> None:
        """Two model parameters are a ConfigurationError (at the first request, logged as 500)."""
        app = fc.HTTPApp()

        @app.post("/x")
        def two(a: NewOrder, b: NewOrder) -> str:
            return ""

        assert HTTPClient(app).post("/x", json={}).status_code == 500
        with pytest.raises(ConfigurationError, match="only one"):
            app.routes[0].call(fc.Request(), {})

    def test_unresolvable_annotation(self) -> None:
        """An annotation that cannot be resolved is a ConfigurationError naming the function."""

        def bad(x: Missing) -> str:  # type: ignore[name-defined]  # noqa: F821
            return ""

        with pytest.raises(ConfigurationError, match="cannot resolve"):
            Route("/x", ["GET"], bad).call(fc.Request(), {})

    def test_keyword_only_request_and_varargs(self) -> None:
        """A keyword-only request parameter and *args/**kwargs are handled."""
        app = fc.HTTPApp()

        @app.get("/k")
        def keyword(*args: Any, request: fc.Request, **kwargs: Any) -> str:
            return request.method

        @app.get("/plain")
        def plain(request):
            return request.path

        client = HTTPClient(app)
        assert client.get("/k").text == "GET"
        assert client.get("/plain").text == "/plain"

    def test_repr_and_routes(self) -> None:
        """Reprs name the routes."""
        app = make_app()
        assert repr(app) == f"<fcsdk HTTPApp with {len(app.routes)} routes>"
        assert repr(app.routes[0]) == "<Route ['GET'] /orders/{order_id}>"
