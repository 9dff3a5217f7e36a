"""README block ``results:ladder_proxy``: the component table on the proxy
benchmark (docs/proxy.md), as ``tools/analysis_tools/ablation_ladder.py``
writes its ``RESULTS.md`` (docs/results/ladder_proxy.json is its
``RESULTS.json``, built from the per-run records in
docs/results/ladder_proxy/)."""
import importlib.util
import os.path as osp

LADDER = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), '..', 'analysis_tools',
    'ablation_ladder.py')


def render(r):
    spec = importlib.util.spec_from_file_location('ablation_ladder', LADDER)
    ladder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ladder)
    header = {key: value for key, value in r.items() if key != 'rows'}
    return ladder.markdown(r['rows'], ladder.ladder_title(header)).rstrip()
