"""Callbacks of the dashboard's shared modules (the shell's banner, the notes panel, the
Overview's comparison), registered on each app that :func:`dashboards.app.create_app` builds.

Why not ``dash.callback``: Dash runs the page modules afresh for every app, but a shared module
is imported once per process, and its ``dash.callback`` registrations would reach only the first
app (tests build many). A :class:`Callbacks` list keeps the declarations and adds them to each
app; the functions keep their module and name, which is how the role table knows them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dash import Dash

__all__ = ["Callbacks"]


class Callbacks:
    """A decorator collecting callbacks like ``dash.callback``; :meth:`register` adds them."""

    def __init__(self) -> None:
        self._declared: list[tuple[tuple[Any, ...], dict[str, Any], Callable[..., Any]]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        def collect(function: Callable[..., Any]) -> Callable[..., Any]:
            self._declared.append((args, kwargs, function))
            return function

        return collect

    def register(self, app: Dash) -> None:
        for args, kwargs, function in self._declared:
            app.callback(*args, **kwargs)(function)
