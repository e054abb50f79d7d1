"""The HTTP edge: security headers, static and precompressed assets, the health endpoint and the uvicorn
server."""
