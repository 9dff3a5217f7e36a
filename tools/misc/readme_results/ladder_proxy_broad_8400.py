"""Block ``results:ladder_proxy_broad_8400``: the component ladder on the
proxy with a stand-in pretrained broadly on 8,400 pairs
(configs/proxy/mpafer_proxy_broad_8400.py;
docs/results/ladder_proxy_broad_8400.json, its records in
docs/results/ladder_proxy_broad_8400/), rendered as
``results:ladder_proxy``."""
RENDER_AS = 'ladder_proxy'
