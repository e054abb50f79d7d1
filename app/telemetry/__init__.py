"""OpenTelemetry for the chat: traces, metrics and logs over OTLP/HTTP, configured from OTEL_* variables."""

from app.telemetry.pipeline import Telemetry, start_telemetry
from app.telemetry.tracing import in_current_context, traced

__all__ = ["Telemetry", "in_current_context", "start_telemetry", "traced"]
