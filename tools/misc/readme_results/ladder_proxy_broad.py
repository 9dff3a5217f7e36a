"""Block ``results:ladder_proxy_broad``: CoOp and the full method on the
proxy with a broadly pretrained stand-in (configs/proxy/mpafer_proxy_broad.py;
docs/results/ladder_proxy_broad.json, its records in
docs/results/ladder_proxy_broad/), rendered as ``results:ladder_proxy``."""
RENDER_AS = 'ladder_proxy'
