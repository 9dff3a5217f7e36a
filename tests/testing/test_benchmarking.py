import os

import pytest
import torch
import torch.nn.functional as F

from mpafer_plugin.testing.benchmarking import (MemoryMeter, count_flops,
                                                flatness, profile_top_ops,
                                                ratio, summarise,
                                                time_interleaved)


def test_summarise_and_ratios():
    stats = summarise([4.0, 1.0, 3.0, 2.0, 5.0])
    assert stats['median_s'] == 3.0 and stats['min_s'] == 1.0
    assert stats['iqr_s'] == 2.0  # q3 4 - q1 2
    assert stats['samples_s'] == [4.0, 1.0, 3.0, 2.0, 5.0]
    a, b = summarise([2.0, 4.0, 9.0]), summarise([1.0, 1.0, 3.0])
    medians, paired = ratio(a, b)
    assert medians == 4.0  # 4 / 1
    assert paired == 3.0  # median of 2, 4, 3


def test_flatness():
    assert flatness([1.0, 1.2, 1.1], 1.25) == pytest.approx((1.2, True))
    spread, flat = flatness([1.0, 2.0], 1.25)
    assert spread == 2.0 and not flat


def test_time_interleaved_order_warmup_and_flops():
    calls = []
    a, b = torch.randn(8, 16), torch.randn(16, 4)
    fns = dict(
        first=lambda: calls.append('A'),
        matmul=lambda: calls.append('B') or a @ b)
    result = time_interleaved(fns, warmup=2, repeats=3, flops=True)
    # 2 warm-up rounds, one counted call each, then 3 interleaved repeats
    assert calls == ['A', 'B'] * 2 + ['A', 'B'] + ['A', 'B'] * 3
    assert result['matmul']['flops'] == 2 * 8 * 16 * 4
    assert result['first']['flops'] == 0
    for stats in result.values():
        assert len(stats['samples_s']) == 3 and stats['peak_bytes'] is None
        assert stats['median_s'] >= stats['min_s'] >= 0


def test_count_flops_sees_cpu_attention_forward_and_backward():
    q, k, v = (torch.randn(2, 3, 5, 8, requires_grad=True) for _ in range(3))
    forward = 2 * 2 * (2 * 3 * 5 * 5 * 8)  # q k^T and attn v
    assert count_flops(lambda: F.scaled_dot_product_attention(q, k, v)) \
        == forward
    both = count_flops(
        lambda: F.scaled_dot_product_attention(q, k, v).sum().backward())
    assert both > 2 * forward


@pytest.mark.skipif(
    not os.path.exists('/proc/self/clear_refs'), reason='needs Linux /proc')
def test_cpu_memory_meter_sees_a_large_allocation():
    meter = MemoryMeter(torch.device('cpu'))
    result = time_interleaved(
        dict(
            big=lambda: torch.ones(16 * 2**20).sum(),  # 64 MiB
            small=lambda: torch.ones(16).sum()),
        warmup=0,
        repeats=1,
        memory=meter)
    assert result['big']['peak_bytes'] >= 60 * 2**20
    assert result['small']['peak_bytes'] < 16 * 2**20


def test_profile_top_ops_sorted_by_self_time():
    a, b = torch.randn(64, 64), torch.randn(64, 64)
    rows = profile_top_ops(lambda: (a @ b).relu(), 3, torch.device('cpu'))
    assert 0 < len(rows) <= 3
    assert [r['self_s'] for r in rows] == sorted((r['self_s'] for r in rows),
                                                 reverse=True)
    assert any(r['name'] == 'aten::mm' and r['calls'] == 1 for r in rows)
    assert all(r['total_s'] >= r['self_s'] >= 0 for r in rows)
