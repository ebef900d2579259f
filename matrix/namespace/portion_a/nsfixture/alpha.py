"""One portion of the PEP 420 namespace package nsfixture."""
TAG = "alpha@1"
