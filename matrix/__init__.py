"""The fixture packages the tests and ``python -m compatreload`` reload.

Installed as ``compatreload._matrix``; see README.md in this folder."""
