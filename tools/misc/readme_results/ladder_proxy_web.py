"""Block ``results:ladder_proxy_web``: the component ladder on the proxy
with a stand-in pretrained on web-like captions
(configs/proxy/mpafer_proxy_web.py; docs/results/ladder_proxy_web.json, its
records in docs/results/ladder_proxy_web/), rendered as
``results:ladder_proxy``."""
RENDER_AS = 'ladder_proxy'
