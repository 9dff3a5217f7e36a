"""tools/model_converters/export_deploy.py: the deployable module gives the
model's own probabilities; TorchScript and ONNX Runtime give the same (ONNX
skipped where onnxruntime is not installed); torch.export works on the
model."""
import json

import pytest
import torch

from mpafer_plugin.export.deploy_model import DeployableFER
from tools.model_converters.export_deploy import main
from ...faces.face_fixtures import face_photo


def crops_batch(model_files):
    """Two test-pipeline inputs (BGR uint8 CHW) and the model's own
    probabilities for them."""
    from mpafer_plugin.apis import FERInferencer
    _, config, full, _ = model_files
    inferencer = FERInferencer(
        config, full, device='cpu', detector='HaarCascadeFaceDetector')
    _, crops = inferencer.crop_faces(face_photo())
    crops = crops + [face_photo()]
    [batch] = inferencer.preprocess(crops, batch_size=2)
    with torch.no_grad():
        preds = inferencer.model.test_step(batch)
    return (batch['inputs'].float(), torch.stack([p.pred_score for p in preds
                                                  ]), inferencer.model)


def test_deployable_module_is_the_model(model_files):
    images, expected, model = crops_batch(model_files)
    module = DeployableFER(model).eval()
    with torch.no_grad():
        torch.testing.assert_close(
            module(images), expected, rtol=1e-4, atol=1e-5)
    assert module.classes == list(model.head.classnames)


def test_torch_export_of_the_whole_model(model_files):
    """Before: the head's cache key (context.data_ptr()) failed under
    torch.export."""
    images, expected, model = crops_batch(model_files)
    model.eval()
    inputs = model.data_preprocessor(
        dict(inputs=images.to(torch.uint8)), False)['inputs']

    class Logits(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model(x, mode='tensor')

    program = torch.export.export(Logits(), (inputs, ))
    with torch.no_grad():
        torch.testing.assert_close(
            program.module()(inputs).softmax(-1),
            expected,
            rtol=1e-4,
            atol=1e-5)


@pytest.mark.parametrize('fmt', ['torchscript', 'onnx'])
def test_exports_match_pytorch(model_files, tmp_path, fmt, capsys):
    if fmt == 'onnx':
        pytest.importorskip('onnxruntime')
    images, expected, _ = crops_batch(model_files)
    _, config, full, _ = model_files
    out = tmp_path / 'deploy'
    assert main([config, full, '--out', str(out), '--formats', fmt]) == 0
    assert 'max |p - p_pytorch|' in capsys.readouterr().out
    classes = json.loads((out / 'classes.json').read_text())
    assert len(classes) == expected.shape[1]
    if fmt == 'torchscript':
        run = torch.jit.load(str(out / 'model.torchscript.pt'))
        with torch.no_grad():
            got = run(images)
    else:
        import onnxruntime
        session = onnxruntime.InferenceSession(
            str(out / 'model.onnx'), providers=['CPUExecutionProvider'])
        got = torch.from_numpy(
            session.run(None, {'images': images.numpy()})[0])
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)


def test_an_export_replaces_the_earlier_set_as_one(model_files, tmp_path,
                                                   monkeypatch, capsys):
    """A failed run leaves the earlier export as it was; a run that ends
    removes (and names) the files of an earlier export it did not write, so
    no new TorchScript file sits beside an old ONNX one."""
    import tools.model_converters.export_deploy as export_deploy
    _, config, full, _ = model_files
    out = tmp_path / 'deploy'
    out.mkdir()
    (out / 'model.onnx').write_bytes(b'an earlier export')
    (out / 'notes.txt').write_text('mine')

    def killed(*args):
        raise KeyboardInterrupt  # between two formats

    monkeypatch.setattr(export_deploy, 'export_onnx', killed)
    with pytest.raises(KeyboardInterrupt):
        main([config, full, '--out', str(out)])
    assert sorted(p.name for p in out.iterdir()) == ['model.onnx', 'notes.txt']
    assert (out / 'model.onnx').read_bytes() == b'an earlier export'
    monkeypatch.undo()
    capsys.readouterr()
    assert main([config, full, '--out',
                 str(out), '--formats', 'torchscript']) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        'classes.json', 'model.torchscript.pt', 'notes.txt',
        'preprocessing.json'
    ]
    assert 'this one did not write: model.onnx' in capsys.readouterr().out


def test_an_output_that_is_an_input_is_refused(model_files, tmp_path):
    import os
    _, config, full, _ = model_files
    out = tmp_path / 'deploy'
    out.mkdir()
    os.symlink(full, out / 'model.onnx')  # resolved through the link
    with pytest.raises(
            SystemExit, match=r"--out's model.onnx .* is CHECKPOINT"):
        main([config, full, '--out', str(out)])
    with pytest.raises(SystemExit, match=r'--out .* is CHECKPOINT'):
        main([config, full, '--out', full])


def test_bf16_and_int8_variants_compared_on_the_test_set(
        model_files, tmp_path):
    """bf16 and int8 variants are written (smaller files), run, and are
    compared with fp32 PyTorch on every image of the config's test set."""
    pytest.importorskip('onnxruntime')
    _, config, full, _ = model_files
    out, figures = tmp_path / 'deploy', tmp_path / 'deploy.json'
    assert main([
        config, full, '--out',
        str(out), '--precisions', 'fp32', 'bf16', 'int8', '--test-set',
        '--benchmark', '1', '--clock', 'cpu', '--json-out',
        str(figures)
    ]) == 0
    result = json.loads(figures.read_text())
    runners = {
        'pytorch', 'torchscript', 'onnx', 'pytorch.bf16', 'torchscript.bf16',
        'pytorch.int8', 'torchscript.int8', 'onnx.int8'
    }
    assert set(result['test_set']) == set(result['ms_per_image']) == runners
    sizes = {name: f['mib'] for name, f in result['files'].items()}
    assert sizes['torchscript.bf16'] < sizes['torchscript']
    assert sizes['torchscript.int8'] < sizes['torchscript']
    assert sizes['onnx.int8'] < sizes['onnx']
    fp32 = result['test_set']['pytorch']
    assert fp32['max_abs_prob_diff'] == 0 and fp32['agreement'] == 1
    assert fp32["images"] == 7 * 4  # the synthetic fixture's test split
    for name in runners - {'pytorch', 'torchscript', 'onnx'}:
        r = result['test_set'][name]
        assert 0 < r['max_abs_prob_diff'] < 1, name  # another precision
        assert 0 <= r['agreement'] <= 1
    assert result['commit'] and result['command'].startswith('python')
