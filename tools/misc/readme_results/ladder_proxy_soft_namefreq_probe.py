"""Block ``results:ladder_proxy_soft_namefreq_probe``: the runs of
docs/results/ladder_proxy_soft_namefreq.json probed as
``results:ladder_proxy_probe`` probes the proxy's
(docs/results/ladder_proxy_soft_namefreq_probe.json, written by
``tools/analysis_tools/probe_ladder.py``)."""
SOURCES = ('ladder_proxy_soft_namefreq', 'ladder_proxy_soft_namefreq_probe')
RENDER_AS = 'ladder_proxy_probe'
