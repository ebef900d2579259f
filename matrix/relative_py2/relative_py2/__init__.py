"""relative_py2: Python 2 implicit relative imports."""
TAG = "relative_py2@1"
