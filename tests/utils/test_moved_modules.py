"""The face front end and the exports left ``mpafer_plugin.apis``: their
old module paths and names still give the same objects, with a warning."""
import importlib
import sys

import pytest

import mpafer_plugin.apis as apis
from mpafer_plugin.faces import draw_faces, media_inputs


@pytest.mark.parametrize('old, new', sorted(apis.MOVED_MODULES.items()))
def test_old_module_path_is_the_new_module_with_a_warning(
        old, new, monkeypatch):
    monkeypatch.delitem(sys.modules, f'mpafer_plugin.apis.{old}', False)
    with pytest.warns(FutureWarning, match=f'moved to {new}'):
        module = importlib.import_module(f'mpafer_plugin.apis.{old}')
    assert module is importlib.import_module(new)


def test_from_import_of_an_old_module_path_warns_once_per_import(monkeypatch):
    monkeypatch.delitem(sys.modules, 'mpafer_plugin.apis.media_inputs', False)
    with pytest.warns(FutureWarning) as record:
        from mpafer_plugin.apis.media_inputs import to_bgr
    assert to_bgr is media_inputs.to_bgr
    assert len(record) == 1 and record[0].filename == __file__


def test_old_names_of_the_package_warn_and_give_the_same_object(monkeypatch):
    monkeypatch.delitem(vars(apis), 'draw_faces', False)
    with pytest.warns(FutureWarning, match='mpafer_plugin.faces.draw_faces'):
        assert apis.draw_faces is draw_faces
    with pytest.raises(AttributeError, match='no_such_name'):
        apis.no_such_name
