"""Who is sending: the OpenTelemetry resource of this process."""

from __future__ import annotations

import uuid
from importlib.metadata import PackageNotFoundError, version

from opentelemetry.sdk.resources import OTELResourceDetector, Resource

from app.config import Settings


def package_version() -> str:
    try:
        return version("chat")
    except PackageNotFoundError:
        return "0+unknown"


class HashedOnce(Resource):
    """A resource that computes its hash once. The OTLP encoder groups every exported span, metric and log
    record by resource, and `Resource.__hash__` dumps all attributes to JSON each time: about 15 % of the
    span exporter's CPU. The attributes are immutable, so the hash cannot change."""

    _hash: int | None = None

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = super().__hash__()
        return self._hash


def build_resource(settings: Settings) -> Resource:
    """Our attributes, overridden by OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME where they are set."""
    ours = Resource.create(
        {
            "service.name": settings.otel_service_name,
            "service.version": package_version(),
            "service.instance.id": str(uuid.uuid4()),
            "deployment.environment": settings.chat_env,
            "deployment.environment.name": settings.chat_env,
        }
    )
    merged = ours.merge(OTELResourceDetector().detect())
    return HashedOnce(merged.attributes, merged.schema_url)
