"""HTTP API controllers (CONTRACT §4): thin, one store or service call each."""
