"""What telemetry leaves out or computes once to stay cheap per message, without losing a promised signal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from app.config import load_settings
from app.telemetry.pipeline import exemplar_filter
from app.telemetry.resource import HashedOnce, build_resource


def test_the_resource_hashes_like_the_sdks_and_only_once(monkeypatch: pytest.MonkeyPatch) -> None:
    resource = build_resource(load_settings())
    assert isinstance(resource, HashedOnce)
    plain = Resource(resource.attributes, resource.schema_url)
    assert hash(resource) == hash(plain) and resource == plain
    dumps: list[Any] = []
    real_dumps = json.dumps
    monkeypatch.setattr(
        "opentelemetry.sdk.resources.dumps", lambda *a, **k: dumps.append(a) or real_dumps(*a, **k)
    )
    for _ in range(3):
        hash(resource)
        hash(plain)
    assert len(dumps) == 3  # the plain resource's three; ours was hashed before


def test_no_exemplars_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_METRICS_EXEMPLAR_FILTER", raising=False)
    assert isinstance(exemplar_filter(), AlwaysOffExemplarFilter)
    reader = InMemoryMetricReader()
    meter = MeterProvider(metric_readers=[reader], exemplar_filter=exemplar_filter()).get_meter("t")
    length = meter.create_histogram("chat.message.length")
    with TracerProvider().get_tracer("t").start_as_current_span("chat.send_message"):
        length.record(12)
    data = reader.get_metrics_data()
    assert data is not None
    [point] = data.resource_metrics[0].scope_metrics[0].metrics[0].data.data_points
    assert point.count == 1 and not point.exemplars

    monkeypatch.setenv("OTEL_METRICS_EXEMPLAR_FILTER", "trace_based")
    assert exemplar_filter() is None  # the SDK reads the variable


def test_a_built_page_lets_its_request_span_go_once_it_ended() -> None:
    import weakref

    from opentelemetry import context, trace

    from app.telemetry.tracing import page_trace_context, release_page_context

    tracer = TracerProvider().get_tracer("t")
    request_span = tracer.start_span("GET")
    token = context.attach(trace.set_span_in_context(request_span))
    try:
        built_in = page_trace_context()  # what the tab's tasks copied while the page was built
        release_page_context(built_in)
        assert trace.get_current_span(built_in) is request_span  # still serving: left alone
    finally:
        context.detach(token)
    request_span.end()
    gone = weakref.ref(request_span)
    release_page_context(built_in)
    assert trace.get_current_span(built_in) is trace.INVALID_SPAN
    del request_span
    assert gone() is None  # the tab no longer keeps it
    release_page_context(context.Context())  # nothing to let go: no error
