"""tools/deploy/onnx_pipeline.py: the exported ONNX model with ONNX Runtime,
OpenCV and Pillow alone (no mpafer_plugin, torch or MMEngine imported)
finds the faces tools/infer.py finds with the Haar detector and gives their
probabilities; the exports record their preprocessing."""
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

from tools.model_converters.export_deploy import main as export_main
from ...conftest import REPO_ROOT
from ...faces.face_fixtures import face_photo, small_face, two_faces

SCRIPT = osp.join(REPO_ROOT, 'tools', 'deploy', 'onnx_pipeline.py')
# run the pipeline with the package, torch and MMEngine made unimportable
ISOLATED = ('import runpy, sys; '
            'sys.modules.update(dict.fromkeys(["mpafer_plugin", "torch", '
            '"mmengine", "mmpretrain", "mmcv"])); sys.argv = sys.argv[1:]; '
            'runpy.run_path(sys.argv[0], run_name="__main__")')


@pytest.fixture
def deployed(model_files, tmp_path):
    pytest.importorskip('onnxruntime')
    _, config, full, _ = model_files
    out = tmp_path / 'deploy'
    assert export_main([config, full, '--out', str(out)]) == 0
    return config, full, out


def test_exports_record_their_preprocessing(deployed):
    import onnx
    import torch
    _, _, out = deployed
    recorded = json.loads((out / 'preprocessing.json').read_text())
    assert recorded['resize']['backend'] == 'pillow'
    assert recorded['resize']['interpolation'] == 'bicubic'
    assert recorded['input']['channels'] == 'BGR'
    assert recorded['face_crop']['type'] == 'EyesSimilarityFaceCrop'
    assert recorded['face_crop']['left_eye'] == [0.34, 0.46]
    meta = {
        p.key: p.value
        for p in onnx.load(str(out / 'model.onnx')).metadata_props
    }
    assert json.loads(meta['mpafer_preprocessing']) == recorded
    files = {'preprocessing.json': '', 'classes.json': ''}
    torch.jit.load(str(out / 'model.torchscript.pt'), _extra_files=files)
    assert json.loads(files['preprocessing.json']) == recorded
    assert json.loads(files['classes.json']) == json.loads(meta['classes'])


def test_standalone_pipeline_matches_infer(deployed, tmp_path):
    from mpafer_plugin.apis import FERInferencer
    config, full, out = deployed
    photos = []
    for name, image in (('face', face_photo()), ('two', two_faces()),
                        ('small', small_face())):
        photos.append(str(tmp_path / f'{name}.png'))
        cv2.imwrite(photos[-1], image)
    results = tmp_path / 'rows.json'
    subprocess.run([
        sys.executable, '-c', ISOLATED, SCRIPT,
        str(out / 'model.onnx'), *photos, '--out',
        str(results)
    ],
                   check=True)
    rows = json.loads(results.read_text())
    inferencer = FERInferencer(
        config, full, device='cpu', detector='HaarCascadeFaceDetector')
    expected = [
        dict(source=path, **face) for path in photos
        for face in inferencer(path)[0]['faces']
    ]
    assert len(rows) == len(expected) >= 4  # 1 + 2 + 1 faces
    assert [r['box'] for r in rows] == [list(w['box']) for w in expected]
    got = np.array([list(r['scores'].values()) for r in rows])
    want = np.array([[w['scores'][c] for c in rows[0]['scores']]
                     for w in expected])
    agree = sum(r['pred_class'] == w['pred_class']
                for r, w in zip(rows, expected))
    print(f'\n{len(rows)} faces: max |p_onnx_pipeline - p_infer| = '
          f'{np.abs(got - want).max():.2e}, classes agree {agree}/{len(rows)}')
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert agree == len(rows)
