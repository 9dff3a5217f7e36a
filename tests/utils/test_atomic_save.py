"""atomic_write: all or nothing, with the mode a plain open would give."""
import os
import stat

import pytest
import torch

from mpafer_plugin.utils import atomic_torch_save, atomic_write


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def write_text(text):

    def write(tmp):
        with open(tmp, 'w') as f:
            f.write(text)

    return write


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda value: os.umask(value)
    os.umask(old)


@pytest.mark.parametrize('value', [0o022, 0o002, 0o077])
def test_new_file_gets_the_mode_open_would_give(tmp_path, umask, value):
    umask(value)
    plain, atomic = tmp_path / 'plain.txt', tmp_path / 'atomic.txt'
    plain.write_text('x')
    atomic_write(str(atomic), write_text('x'))
    assert mode(atomic) == mode(plain) == 0o666 & ~value


def test_replaced_file_keeps_its_mode(tmp_path, umask):
    path = tmp_path / 'shared.json'
    path.write_text('old')
    os.chmod(path, 0o640)
    atomic_write(str(path), write_text('new'))
    assert path.read_text() == 'new' and mode(path) == 0o640


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / 'results.json'
    path.write_text('complete')

    def fail(tmp):
        write_text('half')(tmp)
        raise RuntimeError('killed')

    with pytest.raises(RuntimeError):
        atomic_write(str(path), fail)
    assert path.read_text() == 'complete'
    assert os.listdir(tmp_path) == ['results.json']


def test_staged_outputs_replace_the_whole_set(tmp_path):
    from mpafer_plugin.utils import StagedOutputs
    out = tmp_path / 'out'
    (out / 'vis').mkdir(parents=True)
    (out / 'vis' / 'old.png').write_text('old')
    (out / 'results.csv').write_text('old')
    (out / 'mine.txt').write_text('not an output')
    staged = StagedOutputs(str(out), ['results.json', 'results.csv', 'vis'])
    os.makedirs(staged.path('vis'))
    open(staged.path('vis/new.png'), 'w').write('new')
    open(staged.path('results.json'), 'w').write('[]')
    assert StagedOutputs.leftovers(str(out)) == [staged.stage]
    assert staged.commit() == ['results.csv']  # an earlier run's, removed
    assert sorted(os.listdir(out)) == ['mine.txt', 'results.json', 'vis']
    assert os.listdir(out / 'vis') == ['new.png']
    assert StagedOutputs.leftovers(str(out)) == []


def test_staged_outputs_name_what_they_removed_and_their_paths(
        tmp_path, capsys):
    from mpafer_plugin.utils import StagedOutputs
    out = str(tmp_path / 'out')
    assert StagedOutputs.output_paths(out, ['a.json', 'vis']) == {
        "--out's a.json": os.path.join(out, 'a.json'),
        "--out's vis": os.path.join(out, 'vis'),
        '--out': out
    }
    staged = StagedOutputs(out, ['a.json', 'b.onnx'])
    staged.say_removed([])
    assert capsys.readouterr().out == ''
    staged.say_removed(['b.onnx', 'a.json'], run='export', indent='  ')
    assert capsys.readouterr().out == (
        f'  removed from {out} what an earlier export left and this one '
        f'did not write: a.json, b.onnx\n')
    staged.discard()


def test_discarded_outputs_leave_the_earlier_set(tmp_path):
    from mpafer_plugin.utils import StagedOutputs
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'results.json').write_text('complete')
    staged = StagedOutputs(str(out), ['results.json'])
    open(staged.path('results.json'), 'w').write('half')
    open(staged.path('results.json.partial'), 'w').write('rows')
    staged.discard(keep=['results.json.partial'])
    assert (out / 'results.json').read_text() == 'complete'
    assert (out / 'results.json.partial').read_text() == 'rows'
    assert StagedOutputs.leftovers(str(out)) == []


def test_equal_objects_give_byte_identical_files(tmp_path):
    """The zip records are not named after the random temporary file: two
    saves of the same tensors are the same bytes (the quick start's CLIP
    file, regenerated, is byte-identical)."""
    obj = {'w': torch.arange(6.0).reshape(2, 3)}
    atomic_torch_save(obj, str(tmp_path / 'a.pt'))
    atomic_torch_save(obj, str(tmp_path / 'sub' / 'b.pt'))
    assert (tmp_path / 'a.pt').read_bytes() == \
        (tmp_path / 'sub' / 'b.pt').read_bytes()
    assert torch.equal(torch.load(tmp_path / 'a.pt')['w'], obj['w'])
