"""Tools agents may call, by stable name."""
