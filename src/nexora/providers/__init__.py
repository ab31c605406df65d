"""Chat model providers: presets, one module per wire family, retries and a circuit breaker.

The runtime sees one interface, pydantic-ai's `Model`; `resolver.ModelResolver` turns a
`provider:model` reference into one, built from the org's settings and the environment.
"""
