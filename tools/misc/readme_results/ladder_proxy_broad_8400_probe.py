"""Block ``results:ladder_proxy_broad_8400_probe``: the runs of
docs/results/ladder_proxy_broad_8400.json probed as
``results:ladder_proxy_probe`` probes the proxy's
(docs/results/ladder_proxy_broad_8400_probe.json, written by
``tools/analysis_tools/probe_ladder.py``)."""
SOURCES = ('ladder_proxy_broad_8400', 'ladder_proxy_broad_8400_probe')
RENDER_AS = 'ladder_proxy_probe'
