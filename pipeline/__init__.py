"""Runs the job: sources in, sinks out, state committed last. Nothing imports pipeline."""
