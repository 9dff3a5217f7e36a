"""tools/misc/update_readme.py: README figures come from docs/results/."""
import json

import pytest

from tools.misc.update_readme import default_files, main

README = """# title
<!-- results:speed -->
stale table
<!-- /results:speed -->
text after
"""
RENDERER = """def render(r):
    return f'| fps |\\n|---|\\n| {r["fps"]:.1f} |'
"""


@pytest.fixture
def dirs(tmp_path):
    (tmp_path / 'results').mkdir()
    (tmp_path / 'renderers').mkdir()
    (tmp_path / 'results' / 'speed.json').write_text(
        json.dumps({'fps': 12.34}))
    (tmp_path / 'renderers' / 'speed.py').write_text(RENDERER)
    return dict(
        results_dir=str(tmp_path / 'results'),
        renderers_dir=str(tmp_path / 'renderers'))


def test_committed_readme_and_docs_agree_with_docs_results(capsys):
    assert any('<!-- results:' in open(path, encoding='utf-8').read()
               for path in default_files())
    status = main(['--check'])
    assert status == 0, capsys.readouterr().out


def test_check_names_the_stale_block_and_writing_fixes_it(
        tmp_path, dirs, capsys):
    readme = tmp_path / 'README.md'
    readme.write_text(README)
    assert main(['--check', str(readme)], **dirs) == 1
    out = capsys.readouterr().out
    assert 'stale: ' in out and 'README.md:2 (results:speed)' in out
    assert readme.read_text() == README  # --check writes nothing

    assert main([str(readme)], **dirs) == 0
    assert readme.read_text() == README.replace('stale table\n',
                                                '| fps |\n|---|\n| 12.3 |\n')
    assert main(['--check', str(readme)], **dirs) == 0


def test_block_without_results_file_names_both(tmp_path, dirs):
    readme = tmp_path / 'README.md'
    readme.write_text(README.replace('speed', 'memory'))
    with pytest.raises(
            FileNotFoundError,
            match=r'README.md:2: block "results:memory" has no '
            r'results file .*memory.json'):
        main(['--check', str(readme)], **dirs)


def test_indented_markers_are_examples_not_blocks(tmp_path, dirs):
    readme = tmp_path / 'README.md'
    example = ''.join(
        '    ' + line + '\n'
        for line in README.replace('speed', 'memory').split('\n'))
    readme.write_text(example)
    assert main(['--check', str(readme)], **dirs) == 0
    assert readme.read_text() == example


def test_renderer_of_several_results_files(tmp_path, dirs):
    """A renderer naming ``SOURCES`` is given each file, by name (e.g. the
    fp32 and bf16 benchmarks side by side)."""
    (tmp_path / 'results' / 'speed_bf16.json').write_text(
        json.dumps({'fps': 30.0}))
    (tmp_path / 'renderers' / 'both.py').write_text(
        "SOURCES = ('speed', 'speed_bf16')\n"
        'def render(r):\n'
        "    return f\"{r['speed']['fps']} / {r['speed_bf16']['fps']}\"\n")
    readme = tmp_path / 'README.md'
    readme.write_text(README.replace('speed', 'both'))
    assert main([str(readme)], **dirs) == 0
    assert '12.34 / 30.0\n' in readme.read_text()
    (tmp_path / 'results' / 'speed_bf16.json').unlink()
    with pytest.raises(
            FileNotFoundError,
            match=r'block "results:both" has no results file .*speed_bf16'):
        main(['--check', str(readme)], **dirs)


def test_renderer_rendering_as_another_block(tmp_path, dirs):
    """A renderer with ``RENDER_AS`` renders its own results file as the
    named block does (another run of the same table)."""
    (tmp_path / 'results' / 'speed_old.json').write_text(
        json.dumps({'fps': 1.5}))
    (tmp_path / 'renderers' /
     'speed_old.py').write_text("RENDER_AS = 'speed'\n")
    readme = tmp_path / 'README.md'
    readme.write_text(README + README.replace('speed', 'speed_old'))
    assert main([str(readme)], **dirs) == 0
    text = readme.read_text()
    assert '| 12.3 |' in text and '| 1.5 |' in text
