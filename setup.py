"""compatreload: reload code in a running process, the same on 2.7-3.13 and PyPy."""
import io
import os
import re

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))


def read(*parts):
    with io.open(os.path.join(HERE, *parts), encoding="utf-8") as stream:
        return stream.read()


VERSION = re.search(r'^__version__ = "([^"]+)"', read("compatreload", "__init__.py"), re.M).group(1)

setup(
    name="compatreload",
    version=VERSION,
    description="Reload code in a running Python process: dependents, cycles, rollback; 2.7-3.13 and PyPy",
    long_description=read("README.md"),
    long_description_content_type="text/markdown",
    license="MIT",
    packages=["compatreload", "compatreload._matrix"],
    # The fixture packages ship inside the wheel so that `python -m
    # compatreload` runs its scenarios from a plain `pip install .`.
    package_dir={"compatreload._matrix": "matrix"},
    package_data={
        "compatreload": ["py.typed", "*.pyi"],
        "compatreload._matrix": ["README.md", "*/*/*.py", "*/*/*.c", "*/*/*/*.py"],
    },
    zip_safe=False,
    # 3.0-3.5 are not tested; the imp.reload row for 3.0-3.3 is checked by simulation.
    python_requires=">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*, !=3.5.*",
    install_requires=[],
    options={"bdist_wheel": {"universal": True}},
    classifiers=[
        "License :: OSI Approved :: MIT License",
        "Programming Language :: Python :: 2",
        "Programming Language :: Python :: 2.7",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.6",
        "Programming Language :: Python :: 3.7",
        "Programming Language :: Python :: 3.8",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Programming Language :: Python :: Implementation :: CPython",
        "Programming Language :: Python :: Implementation :: PyPy",
    ],
)
