"""Why an MCP server could not serve a call (kept apart so importing them loads no SDK)."""

from __future__ import annotations


class McpUnavailable(Exception):
    """A server could not be started, died during a call, or did not answer in time; the
    message is written for the model (and the person reading the run) to see."""


class ConnectionLost(Exception):
    """The server went away (crashed, exited, or dropped the HTTP session)."""


class CallTimedOut(Exception):
    """The server did not answer a call within the server's timeout."""


class StartFailed(Exception):
    """The server could not be started or did not complete the MCP handshake in time."""
