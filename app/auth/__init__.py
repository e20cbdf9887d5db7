"""Signing in and out, password resets."""
