"""Block ``results:ladder_proxy_soft_namefreq``: the component ladder on
the proxy's FER set drawn in the soft rendering with the stand-in whose
captions name the class word per class as often as RAF-DB's web images
show it (configs/proxy/mpafer_proxy_soft_namefreq.py;
docs/results/ladder_proxy_soft_namefreq.json, its records in
docs/results/ladder_proxy_soft_namefreq/), rendered as
``results:ladder_proxy``."""
RENDER_AS = 'ladder_proxy'
