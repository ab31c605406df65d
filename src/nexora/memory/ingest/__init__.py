"""Documents into archival memory: converted to text, chunked with their source and position,
deduplicated, and written by a background job whose progress people can follow.

Nothing here is imported when Nexora starts; the readers load on first use."""
