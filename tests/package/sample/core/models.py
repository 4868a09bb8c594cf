"""Shared models: none in the sample."""
