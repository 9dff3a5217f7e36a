"""README block ``results:ladder_proxy_summary``: the README's sentence on
the first proxy's ladder, docs/results/ladder_proxy.json (as
``results:ladder_proxy_web_summary`` words its ladder), with where its
best row ends against its stand-in's frozen linear probe
(docs/results/ladder_proxy_probe.json)."""
from ladder_proxy_web_summary import summary

SOURCES = ('ladder_proxy', 'ladder_proxy_probe')


def render(results):
    return summary(
        results['ladder_proxy'],
        'the first proxy, its FER set drawn in the line rendering of its '
        'stand-in\'s pretraining faces, whose captions name every face\'s '
        'facial actions', results['ladder_proxy_probe']['frozen_clip'])
