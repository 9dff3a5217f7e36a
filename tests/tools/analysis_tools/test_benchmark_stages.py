"""tools/analysis_tools/benchmark_stages.py: every stage timed, paired
variants, a results file with provenance and load (fast: the tiny
quick-start model, one repeat)."""
import json

from tools.analysis_tools.benchmark_stages import STAGES, main


def test_stages_and_variants_are_recorded(tmp_path, capsys):
    out = tmp_path / 'stages.json'
    assert main([
        'quickstart_synthetic_rafdb.py', '--repeats', '1', '--detector',
        'HaarCascadeFaceDetector', '--variant', 'strict', 'min_neighbors=8',
        '--json-out',
        str(out)
    ]) == 0
    results = json.loads(out.read_text())
    assert results['commit'] is not None and 'command' in results
    assert set(results['loadavg']) == {'start', 'end'}
    assert results['photo_shapes'] == [[600, 512], [600, 1024]]
    default, strict = results['variants']
    assert default['detector'] == dict(type='HaarCascadeFaceDetector')
    assert strict['detector'] == dict(
        type='HaarCascadeFaceDetector', min_neighbors=8)
    for row in results['variants']:
        assert set(row['ms_per_image']) == set(STAGES)
        assert all(v >= 0 for v in row['ms_per_image'].values())
        assert row['faces'] == 3  # 1 + 2
        assert abs(row['images_per_second'] * row['total_ms_per_image'] /
                   1000 - 1) < 0.01
    assert 'images/s' in capsys.readouterr().out
