import os
import os.path as osp
import shutil
import sys
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
# Folders shipped inside the package as mpafer_plugin/.mim/<name>, where
# OpenMMLab's `mim train/test mpafer_plugin CONFIG` finds the configs and
# tools/train.py, tools/test.py of an installed package.
MIM_FOLDERS = ('configs', 'tools')


def read_version():
    scope = {}
    with open(osp.join(HERE, 'mpafer_plugin', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def add_mim_extension():
    """Fill ``mpafer_plugin/.mim`` with :data:`MIM_FOLDERS`: symbolic links
    for an editable install (edits show at once), copies when a wheel or an
    sdist is built (what gets installed). Other commands leave it alone."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        mode = 'symlink'
    elif {'bdist_wheel', 'sdist', 'build', 'install'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_root = osp.join(HERE, 'mpafer_plugin', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in MIM_FOLDERS:
        src, dst = osp.join(HERE, name), osp.join(mim_root, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            try:
                os.symlink(
                    osp.relpath(src, mim_root), dst, target_is_directory=True)
                continue
            except OSError:  # no symlinks (Windows without the right)
                pass
        shutil.copytree(
            src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


add_mim_extension()
setup(
    name='mpafer_plugin',
    version=read_version(),
    description='MPA-FER (Multimodal Prompt Alignment for Facial Expression '
    'Recognition, ICCV 2025) as an MMPretrain plugin',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mpafer_plugin', 'mpafer_plugin.*']),
    package_data={
        'mpafer_plugin': [
            'resources/*.json', 'resources/open_clip_configs/*.json',
            '.mim/configs/**/*.py', '.mim/tools/**/*.py', '.mim/tools/**/*.sh'
        ]
    },
    python_requires='>=3.10',
    # the daily tools as commands (mpafer_plugin/cli.py); training and
    # testing: `mim train / test mpafer_plugin CONFIG`
    entry_points={
        'console_scripts': [
            'mpafer-infer=mpafer_plugin.cli:infer',
            'mpafer-demo=mpafer_plugin.cli:demo',
            'mpafer-export-deploy=mpafer_plugin.cli:export_deploy',
            'mpafer-export-prompts=mpafer_plugin.cli:export_prompts',
            'mpafer-check-dataset=mpafer_plugin.cli:check_dataset',
        ]
    },
    # mmcv is needed too (mmpretrain imports it) but comes as two
    # distributions, `mmcv` (compiled ops) and `mmcv-lite` (enough here);
    # install one of them first, as tools/install.sh does.
    install_requires=[
        'torch>=2.0',
        'torchvision',
        'mmengine>=0.10.7,<0.11',
        'mmpretrain>=1.2.0,<1.3',
        'open_clip_torch>=3.0,<4',
        'safetensors',  # CLIP weights in .safetensors files
        'numpy',
        'Pillow',
        # 4.x wheels ship the Haar face cascades (5.x wheels do not)
        'opencv-python>=4.5,<5',
    ],
    extras_require={
        'tests': ['pytest'],
        # MTCNNFaceDetector (boxes and five landmarks, the default detector
        # when installed). 2.5.3 ships the same MTCNN weights and code as
        # 2.6.0 without 2.6.0's torch<2.3 / numpy<2 pins
        # (docs/face_detection.md).
        'faces': ['facenet-pytorch==2.5.3'],
        # tools/model_converters/export_deploy.py --formats onnx, and running
        # the .onnx
        'onnx': ['onnx', 'onnxscript', 'onnxruntime'],
        # tools/demo.py (its browser test also needs selenium and the
        # chromium, chromium-driver Debian packages)
        'demo': ['gradio', 'selenium'],
        'lint':
        ['flake8==7.5.0', 'isort==5.13.2', 'yapf==0.43.0', 'codespell==2.4.3'],
    },
    license='Apache-2.0',
    # in the wheel's .dist-info and the sdist; NOTICE names the licences of
    # the third-party assets used at run time (MTCNN weights, Haar cascades)
    license_files=['LICENSE', 'NOTICE'],
)
