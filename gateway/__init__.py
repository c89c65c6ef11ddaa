"""The HTTP gateway: settings wiring, the FastAPI app and its routers, the worker, the entry point."""
