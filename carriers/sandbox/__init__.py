"""A Shippo-compatible sandbox carrier: WSGI app, SQLite store, in-process transport, server."""
