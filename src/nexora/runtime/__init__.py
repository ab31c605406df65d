"""Runs: the queue, workers, the step executor with checkpoints, events and their streams."""
