"""Block ``results:ladder_proxy_12epochs``: the proxy's first component
ladder, 12 epochs (docs/results/ladder_proxy_12epochs.json, its records in
docs/results/ladder_proxy_12epochs/), rendered as ``results:ladder_proxy``."""
RENDER_AS = 'ladder_proxy'
