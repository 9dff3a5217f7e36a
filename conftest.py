"""Fixtures shared across test folders, registered once for the whole
suite (``pytest_plugins`` is only honoured in the top-level conftest)."""
pytest_plugins = ['tests.faces.face_fixtures']
