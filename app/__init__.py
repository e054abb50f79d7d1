"""chat: a real-time guest chat on NiceGUI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chat")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0"
