import { ProductMetrics } from '../../lib/metrics';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text';

// The exposition the API and the worker serve is read with a strict reader of Prometheus's
// text format; this shows the reader refuses what a scraper would, so the system tests'
// "it parses" means something.

test('the product metrics, counted, read back as valid Prometheus text with their labels', async () => {
  const metrics = new ProductMetrics();
  metrics.messageSent({ channel: 'sms', purpose: 'reminder' });
  metrics.messageSent({ channel: 'sms', purpose: 'reminder' });
  metrics.reminderSkipped({ channel: 'email', recipient: 'client', reason: 'no_consent' });
  metrics.httpRequest({ method: 'GET', route: '/v1/appointments/:appointmentId', status: 200 }, 0.012);
  const exposition = parsePrometheusText((await metrics.exposition()).body);

  expect(sampleValue(exposition, 'reminders_messages_sent_total', { channel: 'sms', purpose: 'reminder' })).toBe(2);
  expect(
    sampleValue(exposition, 'reminders_skipped_total', { channel: 'email', recipient: 'client', reason: 'no_consent' }),
  ).toBe(1);
  const http = { method: 'GET', route: '/v1/appointments/:appointmentId', status: '200' };
  expect(sampleValue(exposition, 'reminders_http_request_duration_seconds_bucket', { ...http, le: '0.025' })).toBe(1);
  expect(sampleValue(exposition, 'reminders_http_request_duration_seconds_bucket', { ...http, le: '0.01' })).toBe(0);
  expect(exposition.types.get('reminders_http_request_duration_seconds')).toBe('histogram');
  // Node's process metrics come with them.
  expect(exposition.types.get('process_cpu_seconds_total')).toBe('counter');
  expect(exposition.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  for (const name of exposition.types.keys()) expect(exposition.help.get(name)).toBeTruthy();
});

test.each([
  ['a sample with an unquoted label value', '# TYPE a counter\na{x=1} 1\n'],
  ['a sample without a value', '# TYPE a counter\na{x="1"}\n'],
  ['a value that is not a number', '# TYPE a gauge\na 1,5\n'],
  ['a metric name with a dash', '# TYPE a-b gauge\na-b 1\n'],
  ['an unknown type', '# TYPE a countr\na 1\n'],
  ['a second TYPE for a family', '# TYPE a gauge\na 1\n# TYPE a gauge\n'],
  ['a family split by another', '# TYPE a gauge\na{x="1"} 1\n# TYPE b gauge\nb 1\na{x="2"} 1\n'],
  ['a TYPE after its samples', 'a 1\n# TYPE a gauge\n'],
  ['a label given twice', 'a{x="1",x="2"} 1\n'],
  ['no final newline', '# TYPE a gauge\na 1'],
])('the reader refuses %s', (_what, text) => {
  expect(() => parsePrometheusText(text)).toThrow();
});

test('the reader takes escapes, infinities, timestamps and plain comments', () => {
  const exposition = parsePrometheusText(
    '# HELP a A "quoted" \\\\ help\n# TYPE a histogram\na_bucket{le="+Inf",p="x\\"y\\\\z"} 3 1700000000000\n' +
      'a_sum 1.5e-3\na_count 3\n# Temporal SDK metrics unavailable: refused\n',
  );
  expect(sampleValue(exposition, 'a_bucket', { le: '+Inf', p: 'x"y\\z' })).toBe(3);
  expect(sampleValue(exposition, 'a_sum')).toBe(0.0015);
});
