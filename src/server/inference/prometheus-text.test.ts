import { describe, expect, it } from 'vitest';
import { firstSum, labelValues, maxOf, parsePrometheusText, sumOf } from './prometheus-text';

describe('parsePrometheusText', () => {
  it('reads HELP/TYPE, labels, counters, gauges and histogram series', () => {
    const page = parsePrometheusText(
      [
        '# HELP vllm:num_requests_running Number of requests in model execution batches.',
        '# TYPE vllm:num_requests_running gauge',
        'vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 3.0',
        '# TYPE vllm:prompt_tokens counter',
        'vllm:prompt_tokens_total{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.2345e+06',
        'vllm:prompt_tokens_created{engine="0",model_name="meta-llama/Llama-3.1-8B-Instruct"} 1.7e9',
        '# TYPE vllm:time_to_first_token_seconds histogram',
        'vllm:time_to_first_token_seconds_bucket{le="0.1",model_name="m"} 4.0',
        'vllm:time_to_first_token_seconds_bucket{le="+Inf",model_name="m"} 10.0',
        'vllm:time_to_first_token_seconds_sum{model_name="m"} 2.5',
        'vllm:time_to_first_token_seconds_count{model_name="m"} 10.0',
        '',
      ].join('\n'),
    );
    expect(page.invalidLines).toBe(0);
    expect(page.types.get('vllm:num_requests_running')).toBe('gauge');
    expect(page.types.get('vllm:time_to_first_token_seconds')).toBe('histogram');
    expect(page.samples[0]).toEqual({
      name: 'vllm:num_requests_running',
      labels: { engine: '0', model_name: 'meta-llama/Llama-3.1-8B-Instruct' },
      value: 3,
    });
    expect(sumOf(page, 'vllm:prompt_tokens_total')).toBe(1_234_500);
    expect(sumOf(page, 'vllm:time_to_first_token_seconds_sum')).toBe(2.5);
    expect(page.samples.find((s) => s.labels.le === '+Inf')?.value).toBe(10);
  });

  it('handles escapes, spaces, timestamps, special values, CRLF and OpenMetrics exemplars and EOF', () => {
    const page = parsePrometheusText(
      [
        'a{path="C:\\\\dir",quote="say \\"hi\\"",nl="x\\ny", spaced = "v" } 1 1700000000000\r',
        'b NaN',
        'c -Inf',
        'd{} +1.5e-3',
        'e_total 7 # {trace_id="abc"} 1.0 1700000000.0',
        '# EOF',
      ].join('\n'),
    );
    expect(page.invalidLines).toBe(0);
    expect(page.samples[0]?.labels).toEqual({ path: 'C:\\dir', quote: 'say "hi"', nl: 'x\ny', spaced: 'v' });
    expect(page.samples[0]?.value).toBe(1);
    expect(Number.isNaN(page.samples[1]?.value)).toBe(true);
    expect(page.samples[2]?.value).toBe(Number.NEGATIVE_INFINITY);
    expect(page.samples[3]?.value).toBeCloseTo(0.0015);
    expect(page.samples[4]).toEqual({ name: 'e_total', labels: {}, value: 7 });
  });

  it('counts and skips lines it cannot read, keeping the rest', () => {
    const page = parsePrometheusText(
      ['good 1', 'bad{unterminated="x 2', '{"utf8.name"} 3', 'no_value', 'x{a="1"} notanumber', 'x 1 2 3', 'also_good{a="b"} 2'].join('\n'),
    );
    expect(page.samples.map((s) => s.name)).toEqual(['good', 'also_good']);
    expect(page.invalidLines).toBe(5);
  });

  it('reads an HTML error page as nothing useful', () => {
    const page = parsePrometheusText('<html><body><h1>502 Bad Gateway</h1></body></html>');
    expect(page.samples).toHaveLength(0);
    expect(page.invalidLines).toBe(1);
  });
});

describe('aggregation helpers', () => {
  const page = parsePrometheusText(
    [
      'kv{engine="0",model_name="a"} 0.25',
      'kv{engine="1",model_name="b"} 0.75',
      'running{model_name="a"} 2',
      'running{model_name="b"} 3',
      'running{model_name="b"} NaN',
      'new_name 5',
    ].join('\n'),
  );

  it('sums and maxes over series, ignoring NaN, and answers null for absent names', () => {
    expect(sumOf(page, 'running')).toBe(5);
    expect(maxOf(page, 'kv')).toBe(0.75);
    expect(sumOf(page, 'missing')).toBeNull();
    expect(maxOf(page, 'missing')).toBeNull();
  });

  it('picks the first name present for renamed metrics', () => {
    expect(firstSum(page, ['old_name', 'new_name'])).toBe(5);
    expect(firstSum(page, ['old_name'])).toBeNull();
  });

  it('lists distinct label values in order', () => {
    expect(labelValues(page, 'running', 'model_name')).toEqual(['a', 'b']);
    expect(labelValues(page, 'running', 'absent')).toEqual([]);
  });
});
