"""tools/visualization/visualize_similarity.py writes a PNG of the documented
size for the predicted or a named class, names the classes on a wrong one,
and on a photo maps the face tools/infer.py classifies, with the same
probability."""
import glob
import os

import matplotlib.image
import pytest
import torch
from mmpretrain.registry import MODELS

from tools.visualization.visualize_similarity import main
from ...conftest import REPO_ROOT, quickstart_cfg

CONFIG = os.path.join(REPO_ROOT, 'configs', 'quickstart_synthetic_rafdb.py')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory, synthetic_rafdb):
    work = tmp_path_factory.mktemp('vis')
    torch.manual_seed(0)
    model = MODELS.build(quickstart_cfg(work, synthetic_rafdb).model)
    path = str(work / 'model.pth')
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return path


def run(checkpoint, image, out, *extra):
    return main([
        CONFIG, checkpoint, image, '--out',
        str(out), '--cfg-options', 'model.clip.pretrained=None',
        'model.clip.model_name=mpafer-tiny-vit-64', *extra
    ])


def test_writes_png_of_the_documented_size(checkpoint, synthetic_rafdb,
                                           tmp_path, capsys):
    image = sorted(glob.glob(f'{synthetic_rafdb}/Image/aligned/test_*'))[0]
    out = tmp_path / 'maps' / 'pred.png'
    run(checkpoint, image, out, '--size', '200', '--no-detect')
    assert matplotlib.image.imread(str(out)).shape[:2] == (200 + 64, 200)
    assert 'predicted' in capsys.readouterr().out

    named = tmp_path / 'anger.png'
    run(checkpoint, image, named, '--class', 'Anger', '--topk', '4',
        '--no-detect')
    assert matplotlib.image.imread(str(named)).shape[:2] == (448 + 64, 448)
    assert f'{named}: anger p=' in capsys.readouterr().out


def test_unknown_class_lists_the_classes(checkpoint, synthetic_rafdb,
                                         tmp_path):
    image = sorted(glob.glob(f'{synthetic_rafdb}/Image/aligned/test_*'))[0]
    with pytest.raises(SystemExit, match='contempt.*surprise, fear'):
        run(checkpoint, image, tmp_path / 'x.png', '--class', 'contempt',
            '--no-detect')
    assert not (tmp_path / 'x.png').exists()


@pytest.mark.parametrize('detector', ['auto', 'HaarCascadeFaceDetector'])
def test_photo_maps_the_face_infer_classifies(checkpoint, tmp_path, capsys,
                                              detector):
    """Before: the map was drawn over the whole photo and its probability
    differed from tools/infer.py's for the same face."""
    import json

    from tools.infer import main as infer
    from ...faces.face_fixtures import FACE_PHOTO
    options = [
        'model.clip.pretrained=None',
        'model.clip.model_name=mpafer-tiny-vit-64'
    ]
    assert infer([
        FACE_PHOTO, '--config', CONFIG, '--checkpoint', checkpoint, '--out',
        str(tmp_path / 'infer'), '--device', 'cpu', '--detector', detector,
        '--cfg-options', *options
    ]) == 0
    [row] = json.loads((tmp_path / 'infer' / 'results.json').read_text())
    capsys.readouterr()
    run(checkpoint, FACE_PHOTO, tmp_path / 'map.png', '--detector', detector)
    printed = capsys.readouterr().out
    assert f' p={row["pred_score"]:.3f} ' in printed
    assert f'(predicted {row["pred_class"]})' in printed
    with pytest.raises(SystemExit, match='--face 1: .* has 1 face'):
        run(checkpoint, FACE_PHOTO, tmp_path / 'x.png', '--face', '1',
            '--detector', detector)


def test_out_equal_to_the_input_photo_is_refused(checkpoint, tmp_path):
    """Before: the photo was overwritten by its similarity map."""
    image = tmp_path / 'photo.png'
    matplotlib.image.imsave(str(image), torch.rand(32, 32, 3).numpy())
    before = image.read_bytes()
    with pytest.raises(SystemExit, match=r'--out .*photo.png is IMAGE'):
        run(checkpoint, str(image), image)
    assert image.read_bytes() == before
