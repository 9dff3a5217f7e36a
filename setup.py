import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version():
    scope = {}
    with open(osp.join(HERE, 'mpafer_plugin', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mpafer_plugin',
    version=read_version(),
    description='MPA-FER (Multimodal Prompt Alignment for Facial Expression '
    'Recognition, ICCV 2025) as an MMPretrain plugin',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['mpafer_plugin', 'mpafer_plugin.*']),
    package_data={'mpafer_plugin': ['resources/*.json',
                                    'resources/open_clip_configs/*.json']},
    python_requires='>=3.9',
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
    extras_require={'tests': ['pytest']},
    license='Apache-2.0',
)
