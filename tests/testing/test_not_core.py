import subprocess
import sys


def test_import_mpafer_plugin_leaves_testing_out():
    """``import mpafer_plugin`` (what every config's ``custom_imports``
    does) must not load the test and benchmark helpers."""
    code = ('import sys, mpafer_plugin; '
            'print(sorted(m for m in sys.modules '
            "if m.startswith('mpafer_plugin.testing')))")
    out = subprocess.run([sys.executable, '-c', code],
                         check=True,
                         capture_output=True,
                         text=True).stdout
    assert out.strip() == '[]'


def test_testing_exports_the_helpers():
    from mpafer_plugin import testing
    for name in testing.__all__:
        assert callable(getattr(testing, name)), name
