"""The ten ways a checkpoint is loaded, each through its tool as a user
runs it: ``load(loader, config, checkpoint, tmp_path)`` returns what the
tool printed when it stopped (``error: …``) or the exception's text, or
``None`` when it ran to the end."""
import glob
import os
import sys
import types

from tools import test as test_tool
from tools import train as train_tool
from tools.analysis_tools.probe_components import main as probe_components
from tools.demo import main as demo
from tools.infer import main as infer
from tools.model_converters.export_deploy import main as export_deploy
from tools.model_converters.export_prompts import main as export_prompts
from tools.visualization.visualize_similarity import main as visualize

LOADERS = ('test', 'load_from', 'resume', 'infer --checkpoint',
           'infer --prompts', 'visualize_similarity', 'export_prompts',
           'export_deploy', 'probe_components', 'demo')


def _argv_main(main, argv):
    old = sys.argv
    sys.argv = argv
    try:
        return main()
    finally:
        sys.argv = old


def _without_gradio(main, argv):
    """``main(argv)`` with an empty stand-in for Gradio (the demo imports
    it before loading the model; the page is never built here)."""
    saved = sys.modules.get('gradio')
    sys.modules['gradio'] = types.ModuleType('gradio')
    try:
        return main(argv)
    finally:
        if saved is None:
            del sys.modules['gradio']
        else:
            sys.modules['gradio'] = saved


def _image(config):
    from mmengine.config import Config
    root = Config.fromfile(config).test_dataloader.dataset.data_root
    return sorted(glob.glob(f'{root}/Image/aligned/test_*'))[0]


def load(loader, config, checkpoint, tmp_path):
    out = str(tmp_path / loader.replace(' ', '_'))
    work = ['--work-dir', out]
    runs = {
        'test':
        lambda: _argv_main(test_tool.main,
                           ['test.py', config, checkpoint, *work]),
        'load_from':
        lambda: _argv_main(train_tool.main, [
            'train.py', config, *work, '--cfg-options',
            f'load_from={checkpoint}', 'train_cfg.max_epochs=1'
        ]),
        'resume':
        lambda: _argv_main(train_tool.main, [
            'train.py', config, *work, '--resume', checkpoint, '--cfg-options',
            'train_cfg.max_epochs=1'
        ]),
        'infer --checkpoint':
        lambda: infer([
            _image(config), '--config', config, '--checkpoint', checkpoint,
            '--out', out, '--no-detect', '--no-vis'
        ]),
        'infer --prompts':
        lambda: infer([
            _image(config), '--prompts', checkpoint, '--out', out,
            '--no-detect', '--no-vis'
        ]),
        'visualize_similarity':
        lambda: visualize([
            config, checkpoint,
            _image(config), '--out', out + '.png', '--no-detect'
        ]),
        'export_prompts':
        lambda: export_prompts([config, checkpoint, '--out', out + '.pth']),
        'export_deploy':
        lambda: export_deploy(
            [config, checkpoint, '--out', out, '--formats', 'torchscript']),
        'probe_components':
        lambda: probe_components([config, checkpoint, '--out', out + '.json']),
        'demo':
        lambda: _without_gradio(demo, [config, checkpoint]),
    }
    try:
        runs[loader]()
    except SystemExit as stop:
        if stop.code not in (0, None):
            return str(stop.code)
    except Exception as err:  # noqa: BLE001  what the user would see
        return f'{type(err).__name__}: {err}'
    return None


__all__ = ['LOADERS', 'load', 'os']
