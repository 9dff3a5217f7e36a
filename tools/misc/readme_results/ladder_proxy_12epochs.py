"""Block ``results:ladder_proxy_12epochs``: the proxy's first component
ladder, 12 epochs (docs/results/ladder_proxy_12epochs.json, its records in
docs/results/ladder_proxy_12epochs/), rendered as ``results:ladder_proxy``."""
import importlib.util
import os.path as osp

_spec = importlib.util.spec_from_file_location(
    'readme_results_ladder_proxy',
    osp.join(osp.dirname(osp.abspath(__file__)), 'ladder_proxy.py'))
_ladder_proxy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_ladder_proxy)
render = _ladder_proxy.render
