"""README block ``results:ladder_proxy_soft_namefreq_summary``: the
README's sentence on docs/results/ladder_proxy_soft_namefreq.json (as
``results:ladder_proxy_web_summary`` words its ladder), with where its
best row ends against the stand-in's frozen linear probe on that FER set
(docs/results/proxy_stand_ins/soft/vit64_web3_cue03_namefreq_p25200.json)."""
from ladder_proxy_web_summary import summary

PROBE = 'proxy_stand_ins/soft/vit64_web3_cue03_namefreq_p25200'
SOURCES = ('ladder_proxy_soft_namefreq', PROBE)


def render(results):
    return summary(
        results['ladder_proxy_soft_namefreq'],
        'the FER set drawn in another rendering than its stand-in\'s '
        'pretraining faces, with a stand-in whose captions name each '
        'class word as often as RAF-DB\'s web images show that expression',
        results[PROBE]['frozen_clip'])
