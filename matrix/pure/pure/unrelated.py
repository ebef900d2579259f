"""Imports nothing of the package: a reload of it must leave this alone."""
TAG = "unrelated@1"
