"""What the tests share: ports and waits, the server process, databases, the simulated tab, fakes."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
