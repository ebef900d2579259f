"""A legacy codebase vendors compatreload by copying the folder."""
import os
import shutil
import subprocess
import sys
import tempfile

import compatreload

SCRIPT = r"""
import sys
sys.dont_write_bytecode = False
import legacyapp._vendor.compatreload as vendored
from legacyapp import plugin
assert plugin.TAG == "plugin@1", plugin.TAG
with open(plugin.__file__.rstrip("co"), "w") as stream:
    stream.write('TAG = "plugin@2"\n')  # same size, same second
assert vendored.purge("legacyapp.plugin") == ["legacyapp.plugin"]
from legacyapp import plugin
assert plugin.TAG == "plugin@2", plugin.TAG
assert vendored.reload(plugin) is plugin
assert "compatreload" not in sys.modules, "the vendored copy imported the installed one"
names = sorted(key for key in sys.modules if "compatreload" in key)
assert all(key.startswith("legacyapp._vendor.compatreload") for key in names), names
print("vendored ok: %s" % vendored.RELOAD_IMPL)
"""


def test_a_copied_folder_works_under_another_package():
    root = tempfile.mkdtemp(prefix="compatreload-vendor-")
    try:
        vendor = os.path.join(root, "legacyapp", "_vendor")
        shutil.copytree(
            os.path.dirname(os.path.abspath(compatreload.__file__)),
            os.path.join(vendor, "compatreload"),
            ignore=shutil.ignore_patterns("_matrix", "__pycache__", "*.pyc"),
        )
        for folder in (os.path.join(root, "legacyapp"), vendor):
            open(os.path.join(folder, "__init__.py"), "w").close()
        with open(os.path.join(root, "legacyapp", "plugin.py"), "w") as stream:
            stream.write('TAG = "plugin@1"\n')
        env = dict(os.environ, PYTHONPATH=root)
        process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT], cwd=root, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        output = process.communicate()[0].decode("utf-8")
        assert process.returncode == 0, output
        assert "vendored ok: " + compatreload.RELOAD_IMPL in output
    finally:
        shutil.rmtree(root)
