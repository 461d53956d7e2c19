"""Call the app's callbacks over HTTP exactly as the browser's Dash renderer does, and read
what comes back.

For the tests, the dashboard benchmark and load tests: a callback is found by the components
it writes (``"sc-result.children"``) in the app's own ``/_dash-dependencies`` — so a callback
wired to the wrong id is not found — and called with a ``/_dash-update-component`` request
carrying only the values a browser would send. :func:`component` and :func:`text` read the
component trees of a response; :func:`trace_values` reads a Plotly figure's arrays, which
Plotly sends base64-encoded.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import numpy as np

from dashboards import ids

# POST (path, JSON body) -> (HTTP status, parsed JSON body or None).
Post = Callable[[str, dict[str, Any]], tuple[int, Any]]
UPDATE = "/_dash-update-component"


class CallbackFailed(RuntimeError):
    """The server answered a callback with an HTTP error or reported a failure."""


def _split(output: str) -> list[tuple[str, str]]:
    """("id", "property") of each output in a dependency's output string."""
    parts = (
        [p for p in output.strip(".").split("...") if p] if output.startswith("..") else [output]
    )
    pairs = []
    for part in parts:
        ident, prop = part.split("@")[0].rsplit(".", 1)
        pairs.append((ident, prop))
    return pairs


@dataclass(frozen=True)
class Callback:
    """One callback of the app as ``/_dash-dependencies`` describes it."""

    output: str  # Dash's own key of the callback
    outputs: tuple[tuple[str, str], ...]
    inputs: tuple[tuple[str, str], ...]
    state: tuple[tuple[str, str], ...]
    raw: Mapping[str, Any]

    @property
    def multi(self) -> bool:
        return self.output.startswith("..")

    def request(
        self, values: Mapping[str, Any], triggered: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """The request body the renderer sends; ``values`` by ``"id.property"``."""

        def spec(pair: tuple[str, str]) -> dict[str, Any]:
            return {"id": pair[0], "property": pair[1], "value": values.get(".".join(pair))}

        outputs: Any = [{"id": i, "property": p} for i, p in self.outputs]
        fired = list(triggered) if triggered is not None else [".".join(i) for i in self.inputs]
        return {
            "output": self.output,
            "outputs": outputs if self.multi else outputs[0],
            "inputs": [spec(i) for i in self.inputs],
            "state": [spec(s) for s in self.state],
            "changedPropIds": fired,
        }


@dataclass(frozen=True)
class Reply:
    """A callback's answer: ``updates`` by id and property; ``side`` holds set_props updates
    (the global error alert); ``status`` 204 means nothing changed."""

    status: int
    updates: Mapping[str, Mapping[str, Any]]
    side: Mapping[str, Mapping[str, Any]]
    raw: Any

    def __getitem__(self, key: str) -> Any:
        ident, prop = key.rsplit(".", 1)
        return self.updates[ident][prop]

    def __contains__(self, key: str) -> bool:
        ident, prop = key.rsplit(".", 1)
        return prop in self.updates.get(ident, {})


class CallbackClient:
    """The app's callbacks, callable by the components they write."""

    def __init__(self, post: Post, dependencies: Sequence[Mapping[str, Any]]) -> None:
        self._post = post
        self.callbacks = [
            Callback(
                output=str(d["output"]),
                outputs=tuple(_split(str(d["output"]))),
                inputs=tuple((i["id"], i["property"]) for i in d["inputs"]),
                state=tuple((s["id"], s["property"]) for s in d["state"]),
                raw=d,
            )
            for d in dependencies
            if not d.get("clientside_function")
        ]

    @classmethod
    def for_flask(cls, client: Any) -> CallbackClient:
        """A client on a Flask test client of the app (``app.server.test_client()``)."""
        client.get("/")  # Dash registers the pages' callbacks on the first request

        def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
            response = client.post(path, json=body)
            data = response.get_data()
            return response.status_code, json.loads(data) if data else None

        dependencies = client.get("/_dash-dependencies").get_json()
        return cls(post, dependencies)

    @classmethod
    def for_url(cls, base_url: str, session: Any = None, timeout: float = 120) -> CallbackClient:
        """A client on a running server at ``base_url``, over HTTP (a ``requests`` session:
        one per simulated user, as each browser keeps its own connections)."""
        import requests

        http = session or requests.Session()
        base = base_url.rstrip("/")
        http.get(base + "/", timeout=timeout).raise_for_status()

        def post(path: str, body: dict[str, Any]) -> tuple[int, Any]:
            response = http.post(base + path, json=body, timeout=timeout)
            data = response.content
            try:
                return response.status_code, json.loads(data) if data else None
            except ValueError:  # an error page, not JSON
                return response.status_code, data.decode(errors="replace")

        dependencies = http.get(base + "/_dash-dependencies", timeout=timeout)
        dependencies.raise_for_status()
        return cls(post, dependencies.json())

    def primary(self, output: str) -> Callback:
        """The callback that owns ``output`` (``"id.property"``): Dash lets only one callback
        write a property without ``allow_duplicate``."""
        for cb in self.callbacks:
            parts = cb.output.strip(".").split("...") if cb.multi else [cb.output]
            if output in parts:
                return cb
        raise LookupError(f"no callback owns {output}")

    def find(self, *outputs: str) -> Callback:
        """The callback writing exactly ``outputs`` (``"id.property"``, any order)."""
        wanted = {tuple(o.rsplit(".", 1)) for o in outputs}
        for cb in self.callbacks:
            if set(cb.outputs) == wanted:
                return cb
        near = [cb.output for cb in self.callbacks if wanted & set(cb.outputs)]
        raise LookupError(f"no callback writes exactly {sorted(outputs)}; callbacks near: {near}")

    def started_by(self, trigger: str) -> Callback:
        """The callback that ``trigger`` (``"id.property"``, e.g. a button's ``n_clicks``)
        sets off: found by its input, so it survives outputs being added to it."""
        wanted = tuple(trigger.rsplit(".", 1))
        for cb in self.callbacks:
            if wanted in cb.inputs:
                return cb
        raise LookupError(f"no callback is started by {trigger}")

    def call(
        self,
        callback: Callback | str,
        values: Mapping[str, Any] | None = None,
        *,
        triggered: Sequence[str] | None = None,
    ) -> Reply:
        """Call a callback (or the one owning the output ``callback``, see :meth:`primary`) as
        the browser would; raises :class:`CallbackFailed` on an HTTP error or a reported
        failure."""
        cb = self.primary(callback) if isinstance(callback, str) else callback
        status, body = self._post(UPDATE, cb.request(values or {}, triggered))
        if status == 204:
            return Reply(204, {}, {}, None)
        if status != 200 or not isinstance(body, dict):
            raise CallbackFailed(f"{cb.output}: HTTP {status}: {str(body)[:500]}")
        side = body.get("sideUpdate") or {}
        if ids.GLOBAL_ALERT in side:
            raise CallbackFailed(f"{cb.output}: the callback failed: {side[ids.GLOBAL_ALERT]}")
        return Reply(status, body.get("response") or {}, side, body)

    def call_background(
        self,
        callback: Callback | str,
        values: Mapping[str, Any] | None = None,
        *,
        interval: float = 0.4,
        deadline: float = 300,
    ) -> Reply:
        """Call a background callback as the renderer does: the first request starts the job
        and answers with its (signed) handles; the same request is then repeated with them
        every ``interval`` seconds until the result comes. :class:`CallbackFailed` on an
        error or when no result came within ``deadline`` seconds."""
        cb = self.primary(callback) if isinstance(callback, str) else callback
        body = cb.request(values or {})
        status, started = self._post(UPDATE, body)
        if status != 200 or not isinstance(started, dict) or "cacheKey" not in started:
            raise CallbackFailed(f"{cb.output}: no background job started: HTTP {status}")
        poll = UPDATE + "?" + urlencode({"cacheKey": started["cacheKey"], "job": started["job"]})
        stop = time.monotonic() + deadline
        while time.monotonic() < stop:
            time.sleep(interval)
            status, answer = self._post(poll, body)
            if status == 204:
                return Reply(204, {}, {}, None)
            if status != 200 or not isinstance(answer, dict):
                raise CallbackFailed(f"{cb.output}: HTTP {status}: {str(answer)[:500]}")
            if "response" in answer:
                side = answer.get("sideUpdate") or {}
                if ids.GLOBAL_ALERT in side:
                    raise CallbackFailed(f"{cb.output}: the job failed: {side[ids.GLOBAL_ALERT]}")
                return Reply(status, answer["response"], side, answer)
        raise CallbackFailed(f"{cb.output}: the background job gave no result in {deadline} s")


# -- reading what the browser receives -----------------------------------------------------------
def walk(tree: Any) -> Iterator[dict[str, Any]]:
    """Every component (``{"type", "namespace", "props"}``) in a serialised tree."""
    if isinstance(tree, list | tuple):
        for item in tree:
            yield from walk(item)
    elif isinstance(tree, dict):
        if "props" in tree and "type" in tree:
            yield tree
            for value in tree["props"].values():
                yield from walk(value)
        else:
            for value in tree.values():
                if isinstance(value, dict | list):
                    yield from walk(value)


def component(tree: Any, ident: str) -> dict[str, Any]:
    """The component (``{"type", "namespace", "props"}``) with id ``ident`` in a serialised
    tree; :class:`LookupError` when absent."""
    for c in walk(tree):
        if c["props"].get("id") == ident:
            return c
    raise LookupError(f"no component {ident!r} in the tree")


def text(tree: Any) -> str:
    """All text a user reads in a serialised tree."""
    if isinstance(tree, str | int | float) and not isinstance(tree, bool):
        return str(tree)
    if isinstance(tree, list | tuple):
        return " ".join(text(t) for t in tree)
    if isinstance(tree, dict) and "props" in tree:
        props = tree["props"]
        return " ".join(text(props[k]) for k in ("children", "label") if k in props)
    return ""


def trace_values(trace: Mapping[str, Any], key: str) -> np.ndarray:
    """A figure trace's array ``key`` (``x``, ``y``, ``z``, ``value``...), decoding Plotly's
    base64 typed arrays."""
    value = trace.get(key)
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if shape:
            dims = [int(n) for n in str(shape).split(",")] if isinstance(shape, str) else shape
            array = array.reshape(dims)
        return array
    return np.asarray(value if value is not None else [])
