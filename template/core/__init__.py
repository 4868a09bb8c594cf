"""Shared, domain-neutral building blocks. Nothing here may import a domain."""
