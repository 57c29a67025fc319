"""Pure functions from raw email bytes to Spark-code rows or a failure; no I/O, no config."""
