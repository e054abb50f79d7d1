"""Which spans are recorded: the sampler from OTEL_TRACES_SAMPLER, minus the pool's `connect` spans.

The SQLAlchemy instrumentation opens a `connect` span for every pool checkout, i.e. one more span per query
that says nothing the query's own span does not (and it has no option to turn it off). Dropping it at the
sampler costs nothing per query; every span the README lists is still recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult, _get_from_env_or_default
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes

POOL_CHECKOUT_SPAN = "connect"


class WithoutPoolCheckouts(Sampler):
    def __init__(self, sampler: Sampler | None = None) -> None:
        self._sampler = sampler or _get_from_env_or_default()

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: object = None,
    ) -> SamplingResult:
        if name == POOL_CHECKOUT_SPAN and kind == SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return self._sampler.should_sample(
            parent_context,
            trace_id,
            name,
            kind,
            attributes,
            links,
            trace_state,  # type: ignore[arg-type]
        )

    def get_description(self) -> str:
        return f"WithoutPoolCheckouts{{{self._sampler.get_description()}}}"
