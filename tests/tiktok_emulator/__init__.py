"""A local TikTok Business API emulator (Spark-code endpoints) for tests and benchmarks."""
