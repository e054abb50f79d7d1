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
    return ours.merge(OTELResourceDetector().detect())
