"""The `traced` wrapper for UI handlers, and carrying the trace context into worker threads."""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar, cast

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.util.types import AttributeValue

from app.patches.opentelemetry_api import empty_in_place
from app.telemetry.names import GUEST, USER_TYPE

P = ParamSpec("P")
R = TypeVar("R")


def traced(name: str, **attributes: AttributeValue) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run each call of a user-action handler (sync or async) in a root span named `name`.

    The span is a root on purpose: NiceGUI runs handlers while a long-lived websocket connection is
    open, and each user action should be a trace of its own. An exception escaping the handler is
    recorded on the span, whose status becomes ERROR; it is then re-raised unchanged.
    """
    span_attributes: dict[str, AttributeValue] = {USER_TYPE: GUEST, **attributes}

    def decorate(handler: Callable[P, R]) -> Callable[P, R]:
        tracer = trace.get_tracer(handler.__module__)  # resolves to the real provider once one is set

        if inspect.iscoroutinefunction(handler):
            async_handler = cast(Callable[P, Coroutine[Any, Any, Any]], handler)

            @functools.wraps(handler)
            async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
                with tracer.start_as_current_span(name, context=Context(), attributes=span_attributes):
                    return await async_handler(*args, **kwargs)

            return cast(Callable[P, R], run_async)

        @functools.wraps(handler)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with tracer.start_as_current_span(name, context=Context(), attributes=span_attributes):
                return handler(*args, **kwargs)

        return run

    return decorate


def in_current_context(function: Callable[P, R]) -> Callable[P, R]:
    """`function` bound to a copy of the caller's context, for handing to a thread pool.

    `run.io_bound` and `loop.run_in_executor` do not carry contextvars to the worker thread, so spans
    started there (a query on a sync engine, say) would lose their parent. Bind once per call:
    one copied context cannot be entered by two threads at the same time.
    """
    context = contextvars.copy_context()

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return context.run(function, *args, **kwargs)

    return run


def page_trace_context() -> Context:
    """The trace context the page is being built in (the page request's server span), for
    `release_page_context` once the page is in the browser."""
    return otel_context.get_current()


def release_page_context(context: Context) -> None:
    """Empty, in place, the trace context a page was built in, once its request's span has ended.

    Tasks that NiceGUI starts while it builds a page (the tab's outbox loop) copy the current context,
    so every open tab kept the page request's finished server span (with its attributes and the
    rest) for its whole life: one span per tab. A task's context cannot be changed from outside, the
    objects it refers to can; nothing reads this one after the response, and a span still open (a
    request not finished) is left alone.
    """
    span = trace.get_current_span(context)
    if span is not trace.INVALID_SPAN and not span.is_recording():
        empty_in_place(context)
