import os

import pytest
from mmengine.config import Config

from mpafer_plugin.utils.output_guard import (OutputIsInputError, config_paths,
                                              guard_outputs)


def test_outputs_are_compared_with_inputs_through_links(tmp_path):
    photo = tmp_path / 'photo.jpg'
    photo.write_bytes(b'x')
    os.symlink(photo, tmp_path / 'link.png')
    guard_outputs({'--out': str(tmp_path / 'map.png')}, {'IMAGE': str(photo)})
    with pytest.raises(
            OutputIsInputError,
            match=r'--out .*link.png is IMAGE \(.*photo.jpg\)'):
        guard_outputs({'--out': str(tmp_path / 'link.png')},
                      {'IMAGE': str(photo)})


def test_every_file_a_config_names_is_an_input(tmp_path):
    clip = tmp_path / 'clip.pt'
    clip.write_bytes(b'w')
    descriptions = tmp_path / 'd.json'
    descriptions.write_text('{}')
    path = tmp_path / 'cfg.py'
    path.write_text(f'model = dict(clip=dict(pretrained={str(clip)!r}), '
                    f'head=dict(descriptions={str(descriptions)!r}))\n'
                    f'work_dir = {str(tmp_path)!r}\n')
    cfg = Config.fromfile(str(path))
    keys = dict((k, v) for k, v in config_paths(cfg))
    assert keys['model.clip.pretrained'] == str(clip)
    assert keys['model.head.descriptions'] == str(descriptions)
    assert 'work_dir' not in keys  # an output
    for out, what in ((clip, 'model.clip.pretrained'),
                      (descriptions,
                       'model.head.descriptions'), (path, 'the config')):
        with pytest.raises(OutputIsInputError, match=f'is {what}'):
            guard_outputs({'--out': str(out)}, cfg=cfg)


def test_a_replaced_folder_must_not_hold_an_input(tmp_path):
    (tmp_path / 'vis').mkdir()
    photo = tmp_path / 'vis' / 'a.png'
    photo.write_bytes(b'x')
    guard_outputs({'vis': str(tmp_path / 'vis')}, {'IMAGE': str(photo)})
    with pytest.raises(OutputIsInputError, match='holds IMAGE'):
        guard_outputs({'vis': str(tmp_path / 'vis')}, {'IMAGE': str(photo)},
                      replaced_folders=['vis'])
